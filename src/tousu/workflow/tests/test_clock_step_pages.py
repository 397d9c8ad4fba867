"""The clock steps that were API-only have forms on the complaint page, through the same actions: appraisal
time excluded and ended, the expected date told, follow-up calls, mediation ended and its notice, the time
bar, a second extension. A form that fails comes back open with what was typed and the message beside its
field, in Chinese."""

import re

import pytest
import time_machine
from django.conf import settings

from tousu.accounts.roles import Role
from tousu.testing import make_user
from tousu.workflow.actions.approvals import SolutionInput, decide, propose_solution
from tousu.workflow.actions.transitions import acknowledge, perform, start_investigation
from tousu.workflow.models import ClockPause
from tousu.workflow.tests.clock_helpers import agent_under, at, complaint

pytestmark = pytest.mark.django_db


def _chinese(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(user)
    return client


def _field(page: str, name: str) -> str:
    """The <p> of one field as Django renders it in a stacked form: its errors come right before it."""
    found = re.search(rf'<ul class="errorlist"[^>]*>(?:(?!</ul>).)*</ul>\s*<p>(?:(?!</p>).)*name="{name}"', page, re.S)
    assert found, f"no error beside {name}"
    return found.group(0)


def test_appraisal_time_is_excluded_and_ended_from_the_page(client):
    agent = agent_under("banking")
    case = complaint(agent)
    start_investigation(case, by=agent, now=at("2026-09-30T11:00"))
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    with time_machine.travel(at("2026-10-08T10:00"), tick=False):
        assert 'id="exclude-time"' in client.get(f"{url}/").content.decode()
        refused = client.post(f"{url}/exclude-time/", {"reason": "  "})
        page = refused.content.decode()
        assert refused.status_code == 422 and '<details id="exclude-time" open>' in page
        assert "这个字段是必填项" in _field(page, "reason")
        assert not ClockPause.objects.filter(complaint=case).exists()
        client.post(f"{url}/exclude-time/", {"reason": "笔迹鉴定"})
    page = client.get(f"{url}/").content.decode()
    assert 'id="end-exclusion"' in page and 'id="excluded-since"' in page and 'id="exclude-time"' not in page
    with time_machine.travel(at("2026-10-10T10:00"), tick=False):
        client.post(f"{url}/end-exclusion/", {"note": "报告已出"})
    solution = case.deadlines.get(stage="solution", met_at__isnull=True)
    assert solution.excluded_seconds == 2 * 86400 and solution.paused_at is None


def test_an_expected_date_in_the_past_comes_back_with_the_date_typed_and_the_reason(client):
    agent = agent_under("telecom")
    case = complaint(agent, email="kehu@example.com")
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    with time_machine.travel(at("2026-10-08T10:00"), tick=False):
        refused = client.post(f"{url}/expected-date/", {"expected": "2026-10-01"})
        page = refused.content.decode()
        assert refused.status_code == 422 and '<details id="expected-date" open>' in page
        assert "预计日期须晚于今天" in _field(page, "expected") and 'value="2026-10-01"' in page
        garbled = client.post(f"{url}/expected-date/", {"expected": "下周五"}).content.decode()
        assert "输入一个有效的日期" in _field(garbled, "expected") and 'value="下周五"' in garbled
        assert client.post(f"{url}/expected-date/", {"expected": "2026-10-20"}).status_code == 302
    told = case.events.filter(kind="contact").last()
    assert told.data["expected"] == "2026-10-20"


def test_follow_up_calls_are_recorded_from_the_page(client):
    agent = agent_under("enterprise")
    case = complaint(agent, text="想咨询一下退货流程", when="2026-11-02T10:00")
    start_investigation(case, by=agent, now=at("2026-11-02T11:00"))
    solution = propose_solution(case, SolutionInput(measures="解释流程", owner=agent,
                                                    due_date=at("2026-11-03T00:00").date()),
                                by=agent, now=at("2026-11-02T12:00"))
    decide(solution, by=make_user(Role.SPECIALIST, department=agent.department), approve=True, reason="",
           now=at("2026-11-02T13:00"))
    case.refresh_from_db()
    perform(case, "carry_out", by=agent, now=at("2026-11-02T14:00"))
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    assert 'id="follow-up"' in client.get(f"{url}/").content.decode()
    refused = client.post(f"{url}/follow-ups/", {"note": ""})
    assert refused.status_code == 422 and "这个字段是必填项" in _field(refused.content.decode(), "note")
    client.post(f"{url}/follow-ups/", {"note": "客户表示已满意"})
    assert case.deadlines.get(stage="first_follow_up").met_at is not None
    assert case.deadlines.get(stage="second_follow_up").met_at is None
    refused = client.post(f"{url}/act/reopen/", {"reason": " "})
    page = refused.content.decode()
    assert refused.status_code == 422 and re.search(r'id="reopen-reason"[^>]*>\s*<button[^>]*>[^<]*</button>\s*'
                                                    r'<ul class="errorlist"[^>]*><li>此步骤须填写原因', page)
    case.refresh_from_db()
    assert case.status == "carried_out"


def test_mediation_is_ended_and_both_parties_told_from_the_page(client):
    agent = agent_under("ecommerce")
    case = complaint(agent, text="网购的衣服有色差，要求退货", channel="regulator", when="2026-08-31T10:00")
    acknowledge(case, by=agent, now=at("2026-09-01T10:00"))
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    refused = client.post(f"{url}/mediation/end/", {"note": "商家拒绝"})
    page = refused.content.decode()
    assert refused.status_code == 422 and '<details id="mediation-end" open>' in page
    assert "这个字段是必填项" in page and "商家拒绝" in page
    client.post(f"{url}/mediation/end/", {"agreed": "0", "note": "商家拒绝"})
    assert case.deadlines.get(stage="mediation").outcome == "ended"
    page = client.get(f"{url}/").content.decode()
    assert 'id="mediation-notice"' in page and 'id="mediation-end"' not in page
    client.post(f"{url}/mediation/notice/", {"note": "已电话告知双方"})
    assert case.deadlines.get(stage="mediation_notice").met_at is not None


def test_the_time_bar_is_checked_from_the_page_and_its_result_shown(client):
    agent = agent_under("ecommerce")
    case = complaint(agent, text="三年前买的热水器漏水", channel="regulator", when="2026-03-02T09:00")
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    refused = client.post(f"{url}/time-bar/", {"harm_known_on": "2026-05-01"})
    page = refused.content.decode()
    assert refused.status_code == 422 and '<details id="time-bar" open>' in page
    assert "知道权益受损的日期不能晚于投诉受理日期" in _field(page, "harm_known_on") and 'value="2026-05-01"' in page
    client.post(f"{url}/time-bar/", {"harm_known_on": "2023-03-01"})
    result = re.search(r'<p id="time-bar-result".*?</p>', client.get(f"{url}/").content.decode(), re.S).group(0)
    assert "不予受理" in result and "2023-03-01" in result


def test_a_leader_extends_a_second_time_from_the_page_and_a_manager_cannot(client):
    agent = agent_under("banking")
    case = complaint(agent)
    manager = make_user(Role.MANAGER, department=agent.department)
    _chinese(client, manager)
    url = f"/complaints/{case.tracking_number}"
    with time_machine.travel(at("2026-10-10T10:00"), tick=False):
        refused = client.post(f"{url}/extend/solution/", {"reason": ""})
        assert refused.status_code == 422 and "这个字段是必填项" in refused.content.decode()
        client.post(f"{url}/extend/solution/", {"reason": "情况复杂，需调取录音"})
        page = client.get(f"{url}/").content.decode()
    row = re.search(r'data-stage="solution".*?</tr>', page, re.S).group(0)
    assert "已延期" in row and "/extend/solution/" not in row  # a second extension is the leader's
    _chinese(client, make_user(Role.LEADER))
    with time_machine.travel(at("2026-10-20T10:00"), tick=False):
        row = re.search(r'data-stage="solution".*?</tr>', client.get(f"{url}/").content.decode(), re.S).group(0)
        assert "再次延期" in row
        client.post(f"{url}/extend/solution/", {"reason": "情况特别复杂，总行审批"})
    clock = case.deadlines.get(stage="solution")
    assert clock.second_extension_reason == "情况特别复杂，总行审批"


def test_waiting_without_a_reason_keeps_the_page_and_says_why(client):
    agent = agent_under("default")
    case = complaint(agent)
    start_investigation(case, by=agent, now=at("2026-09-30T11:00"))
    _chinese(client, agent)
    url = f"/complaints/{case.tracking_number}"
    refused = client.post(f"{url}/pause/", {"reason": ""})
    assert refused.status_code == 422 and "这个字段是必填项" in _field(refused.content.decode(), "reason")
    case.refresh_from_db()
    assert case.waiting_since is None
