"""In Chromium: a manager reads a reopened complaint's time limits in Chinese, unfolds the earlier clocks,
and a clock-step form given a date in the past comes back open with the date typed and the reason beside
it; the leader activates a plan by ticking people."""

import os
import shutil
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tousu.core.tests.test_browser import CHROMIUM, Watched, browser  # noqa: F401 (the fixture)
from tousu.testing import make_complaint, make_team
from tousu.workflow.actions import approvals
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import EmergencyPlan

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM),
                                 reason="Debian's chromium is installed by scripts/system-deps.sh")]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_manager_reads_the_time_limits_and_a_bad_date_comes_back_beside_its_field(live_server, browser):  # noqa: F811
    team = make_team()
    agent, now = team["agent"], timezone.now()
    complaint = make_complaint(by=agent, text="想咨询一下退货流程", email="kehu@example.com")
    perform(complaint, "start_investigation", by=agent, now=now)
    solution = approvals.propose_solution(complaint, approvals.SolutionInput(
        measures="补发", owner=agent, due_date=date(2030, 1, 1)), by=agent, now=now)
    approvals.decide(solution, by=team["specialist"], approve=True, reason="", now=now)
    for action in ("carry_out", "close"):
        perform(complaint, action, by=agent, now=now)
    perform(complaint, "reopen", by=agent, now=now, reason="客户不满意")
    watched = Watched(browser, viewport={"width": 1366, "height": 900})
    watched.login(live_server.url, team["manager"].username)
    page = watched.page
    page.goto(f"{live_server.url}/complaints/{complaint.tracking_number}/")
    assert watched.styled()
    assert page.inner_text('#clocks tr[data-stage="investigation"] strong') == "调查"
    assert "个工作日" in page.inner_text('#clocks tr[data-stage="investigation"]')
    assert page.locator("#clocks tr.clock").count() == len(set(complaint.deadlines.values_list("stage", flat=True)))
    assert not page.is_visible("#earlier-clocks table")
    page.click("#earlier-clocks summary")
    assert page.locator("#earlier-clocks tbody tr").count() == 2
    page.click("#expected-date summary")
    page.fill("#expected-date input[name=expected]", (timezone.localdate() - timedelta(days=3)).isoformat())
    page.click("#expected-date button[type=submit]")
    page.wait_for_selector("#expected-date[open] .errorlist")
    assert "预计日期须晚于今天" in page.inner_text("#expected-date .errorlist")
    assert page.input_value("#expected-date input[name=expected]") == (
        timezone.localdate() - timedelta(days=3)).isoformat()
    assert [p for p in watched.problems if p[0] != 422 and "Unprocessable" not in str(p[1])] == []


def test_the_leader_activates_a_plan_by_ticking_people(live_server, browser):  # noqa: F811
    team = make_team()
    complaint = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=complaint)
    watched = Watched(browser, viewport={"width": 1366, "height": 900})
    watched.login(live_server.url, team["leader"].username)
    page = watched.page
    page.goto(f"{live_server.url}/emergencies/{plan.pk}/")
    page.check(f"#activate input[name=on_site][value='{team['agent'].pk}']")
    page.click("#activate button[type=submit]")
    page.wait_for_selector("#plan-state")
    plan.refresh_from_db()
    assert plan.state == "active" and plan.members.filter(user=team["agent"], team_role="on_site").exists()
    assert "应急预案已启动" in page.inner_text("table")
    assert watched.problems == []
