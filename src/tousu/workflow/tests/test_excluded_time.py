import pytest

from tousu.complaints.validation import IntakeError
from tousu.notify.models import Notification
from tousu.workflow.actions import deadlines
from tousu.workflow.actions.transitions import start_investigation
from tousu.workflow.tests.clock_helpers import agent_under, at, complaint, due

pytestmark = pytest.mark.django_db


def test_appraisal_time_is_not_counted_and_the_clock_shows_it_excluded():
    agent = agent_under("banking")
    case = complaint(agent, email="kehu@example.com")
    start_investigation(case, by=agent, now=at("2026-10-08T10:00"))
    assert due(case, "solution") == "2026-10-15T10:00+08:00"
    deadlines.exclude_time(case, by=agent, reason="银行卡送公安机关鉴定", now=at("2026-10-09T10:00"))
    assert case.deadlines.get(stage="solution").paused_at is not None
    deadlines.end_exclusion(case, by=agent, now=at("2026-10-19T10:00"), note="鉴定报告已出")
    assert due(case, "solution") == "2026-10-25T10:00+08:00"  # the ten days of appraisal added
    clock = case.deadlines.get(stage="solution")
    assert clock.excluded_seconds == 10 * 86400 and clock.paused_seconds == 0
    pause = case.clock_pauses.get()
    assert pause.kind == "appraisal" and pause.seconds == 10 * 86400
    assert "appraisal" in Notification.objects.get(kind="customer_update").subject


def test_excluded_time_is_separate_from_waiting_for_the_customer():
    agent = agent_under("banking")
    case = complaint(agent)
    start_investigation(case, by=agent, now=at("2026-10-08T10:00"))
    deadlines.pause(case, by=agent, reason="请客户补充流水", now=at("2026-10-09T10:00"))
    with pytest.raises(IntakeError, match="already waiting for the customer"):
        deadlines.exclude_time(case, by=agent, reason="鉴定", now=at("2026-10-09T11:00"))
    deadlines.resume(case, by=agent, now=at("2026-10-10T10:00"))
    deadlines.exclude_time(case, by=agent, reason="笔迹鉴定", now=at("2026-10-11T10:00"))
    with pytest.raises(IntakeError, match="appraisal time is already being excluded"):
        deadlines.pause(case, by=agent, reason="再问客户", now=at("2026-10-11T11:00"))
    deadlines.end_exclusion(case, by=agent, now=at("2026-10-12T10:00"))
    clock = case.deadlines.get(stage="solution")
    assert (clock.paused_seconds, clock.excluded_seconds) == (86400, 86400)


def test_excluding_time_needs_a_reason_and_ending_it_needs_an_exclusion():
    agent = agent_under("banking")
    case = complaint(agent)
    start_investigation(case, by=agent, now=at("2026-10-08T10:00"))
    with pytest.raises(IntakeError) as error:
        deadlines.exclude_time(case, by=agent, reason="", now=at("2026-10-09T10:00"))
    assert [e.field for e in error.value.errors] == ["reason"]
    with pytest.raises(IntakeError, match="no appraisal time"):
        deadlines.end_exclusion(case, by=agent, now=at("2026-10-09T10:00"))
    assert not case.clock_pauses.exists()
