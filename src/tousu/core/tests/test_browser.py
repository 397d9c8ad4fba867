"""The pages as people use them, in Debian's Chromium driven by Playwright (DESIGN.md): styles and htmx load
(no 4xx/5xx, no console error), Chinese renders with a real font, and three journeys work end to end."""

import os
import shutil
from datetime import date

import pytest
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.testing import make_complaint, make_team, make_user
from tousu.workflow.actions import approvals
from tousu.workflow.actions.survey import send_survey, survey_link
from tousu.workflow.actions.transitions import start_investigation

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM),
                                 reason="Debian's chromium is installed by scripts/system-deps.sh")]
# Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself are plain
# synchronous code, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose failed requests and console errors are collected."""

    def __init__(self, browser, **context):
        self.context = browser.new_context(locale="zh-CN", **context)
        self.page = self.context.new_page()
        self.problems: list = []
        self.page.on("response", lambda r: self.problems.append((r.status, r.url)) if r.status >= 400 else None)
        self.page.on("console", lambda m: self.problems.append(("console", m.text)) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.problems.append(("pageerror", str(e))))

    def login(self, base: str, username: str) -> None:
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", "pw-for-tests")
        self.page.click("button[type=submit]")

    def styled(self) -> bool:
        """The stylesheet applied (the header is laid out as flex) and htmx is loaded."""
        return self.page.evaluate("getComputedStyle(document.querySelector('header.top')).display === 'flex' "
                                  "&& typeof window.htmx === 'object'")


def test_an_agent_records_an_injury_with_12315_and_sees_high_risk_with_both_reasons(live_server, browser, tmp_path):
    team = make_team(agent="li")
    watched = Watched(browser, viewport={"width": 1366, "height": 900})
    watched.login(live_server.url, team["agent"].username)
    page = watched.page
    page.goto(f"{live_server.url}/complaints/new/")
    assert watched.styled()
    page.fill("#id_text", "孩子骑车时脚踏断裂，摔伤骨折住院了，我已经打了12315投诉")
    page.wait_for_selector("#risk-preview .badge.risk-high")  # the live preview, through htmx
    page.fill("input[name=phone]", "13812345678")
    page.click("#intake-form button[type=submit]")
    page.wait_for_selector("#risk")
    risk = page.inner_text("#risk")
    assert "高" in risk and "人身安全：提到“摔伤”" in risk and "合规与法律：提到“12315”" in risk
    assert page.is_visible("#emergency-banner")
    handling = page.inner_text("#handling")
    assert "黄金" in handling or "2小时" in handling or "受理" in handling  # the 2-hour acknowledgement clock
    assert page.evaluate("document.fonts.check('16px \"WenQuanYi Micro Hei\"')")
    page.screenshot(path=str(tmp_path / "complaint.png"))
    assert Complaint.objects.get().risk_level == "high"
    assert watched.problems == []


def test_a_manager_approves_a_solution_from_the_complaint_page(live_server, browser):
    team = make_team()
    now = timezone.now()
    complaint = make_complaint(text="快递丢了，要求赔偿", by=team["agent"], now=now)
    start_investigation(complaint, by=team["agent"], now=now)
    solution = approvals.propose_solution(complaint, approvals.SolutionInput(
        measures="补发并赔偿", owner=team["agent"], due_date=date.today(), compensation=2000), by=team["agent"], now=now)
    watched = Watched(browser, viewport={"width": 1366, "height": 900})
    watched.login(live_server.url, team["manager"].username)
    page = watched.page
    page.goto(f"{live_server.url}/")
    assert complaint.tracking_number in page.inner_text("#queue-approvals")
    page.goto(f"{live_server.url}/complaints/{complaint.tracking_number}/")
    assert "部门经理" in page.inner_text("#solutions")
    page.click("#solutions button[value=approve]")
    page.wait_for_load_state()
    solution.refresh_from_db()
    assert solution.steps.get(role=Role.MANAGER).decision == "approved"
    assert watched.problems == []


def test_a_customer_files_on_a_phone_looks_it_up_and_answers_the_survey(live_server, browser):
    make_user(Role.AGENT)  # someone to own what comes in
    watched = Watched(browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = watched.page
    page.goto(f"{live_server.url}/public/")
    assert watched.styled()
    assert page.get_attribute("input[name=phone]", "type") == "tel"
    assert page.get_attribute("input[name=email]", "type") == "email"
    assert not page.is_visible("input[name=website]")  # the trap stays hidden
    page.fill("textarea[name=text]", "网购的电热毯通电后冒烟，家里老人的手被烫伤了")
    page.fill("input[name=phone]", "13912345678")
    page.wait_for_timeout(3100)  # a person takes longer than the bot check's three seconds
    page.click("form button[type=submit]")
    page.wait_for_selector("#tracking-number")
    number = page.inner_text("#tracking-number").strip()
    confirmation = page.inner_text("main")
    assert "120" in confirmation or "急救" in confirmation  # what to do now when someone is hurt
    page.goto(f"{live_server.url}/public/lookup/")
    page.fill("input[name=tracking_number]", number.replace("-", " ").lower())
    page.fill("input[name=contact]", "139 1234 5678")
    page.click("form button[type=submit]")
    page.wait_for_selector("#status")
    complaint = Complaint.objects.get(tracking_number=number)
    survey = send_survey(complaint, now=timezone.now())
    page.goto(live_server.url + "/" + survey_link(survey).split("/", 3)[3])
    page.check("input[name=score][value='5']")
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    survey.refresh_from_db()
    assert survey.score == 5
    assert watched.problems == []
