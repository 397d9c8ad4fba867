"""The complaint page's time limits: each stage once with its current clock, labelled in Chinese with its
limit, the calendar it counts on, the time left and the rule; a reopened complaint's earlier clocks folded
into their own history."""

import re
from datetime import date, datetime

import pytest
import time_machine
from django.conf import settings

from tousu.testing import make_complaint, make_team
from tousu.timeline import SHANGHAI
from tousu.workflow.actions import approvals
from tousu.workflow.actions.transitions import perform

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def _reopened(team):
    agent = team["agent"]
    complaint = make_complaint(by=agent, text="想咨询一下退货流程", now=NOW, received_at=NOW)
    perform(complaint, "start_investigation", by=agent, now=NOW)
    solution = approvals.propose_solution(complaint, approvals.SolutionInput(
        measures="补发", owner=agent, due_date=date(2026, 11, 10), expected_effect="", compensation=0), by=agent, now=NOW)
    approvals.decide(solution, by=team["specialist"], approve=True, reason="", now=NOW)
    perform(complaint, "carry_out", by=agent, now=NOW)
    perform(complaint, "close", by=agent, now=NOW)
    perform(complaint, "reopen", by=agent, now=NOW, reason="客户不满意")
    return complaint


def _section(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return found.group(0)


def test_a_reopened_complaint_shows_each_stage_once_in_chinese_with_earlier_clocks_folded(client):
    team = make_team()
    complaint = _reopened(team)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(team["manager"])
    with time_machine.travel(datetime(2026, 11, 3, 12, 0, tzinfo=SHANGHAI), tick=False):
        page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    table = _section(page, r'<table id="clocks">.*?</table>')
    stages = re.findall(r'data-stage="(\w+)"', table)
    assert sorted(stages) == sorted(set(stages)), stages  # each stage once
    assert stages[:4] == ["acknowledge", "first_response", "investigation", "solution"]
    investigation = _section(table, r'data-stage="investigation".*?</tr>')
    assert "<strong>调查</strong>" in investigation and "5 个工作日" in investigation
    assert "还剩 5 天 22 小时" in investigation  # due 11-09 10:00 (5 working days), read at 11-03 12:00
    assert "调查3–5个工作日" in investigation  # the rule it comes from
    earlier = _section(page, r'<details id="earlier-clocks">.*?</details>')
    assert "重新处理前" in earlier and earlier.count("<tr>") == 1 + 2  # the first round's investigation, solution
    assert "中国大陆" in _section(page, r'<p class="muted" id="calendars">.*?</p>')


def test_a_clock_counted_in_hours_says_calendar_time_and_an_overdue_one_says_by_how_much(client):
    team = make_team()
    complaint = make_complaint(by=team["agent"], text="想咨询一下退货流程", now=NOW, received_at=NOW)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(team["agent"])
    with time_machine.travel(datetime(2026, 11, 3, 13, 0, tzinfo=SHANGHAI), tick=False):
        page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    acknowledge = _section(page, r'data-stage="acknowledge".*?</tr>')
    assert "24 小时" in acknowledge and "超时 3 小时" in acknowledge
    assert "自然时间" in _section(page, r'<p class="muted" id="calendars">.*?</p>')
    assert 'id="earlier-clocks"' not in page
