from datetime import datetime

import pytest

from tousu.accounts.roles import Role
from tousu.assessments.policies import store_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.validation import IntakeError
from tousu.intake.consequences import override_risk
from tousu.testing import make_complaint, make_department, make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.actions import deadlines
from tousu.workflow.actions.transitions import acknowledge, perform, start_investigation

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def due(complaint, stage: str) -> str:
    deadline = complaint.deadlines.get(stage=stage, met_at__isnull=True)
    return deadline.due_at.astimezone(SHANGHAI).isoformat(timespec="minutes")


@pytest.fixture
def agent():
    return make_user(Role.AGENT, department=make_department())


def _complaint(agent, text="想咨询一下退货流程", when="2026-09-30T10:00", **fields):
    return make_complaint(by=agent, text=text, now=at(when), received_at=at(when), **fields)


def test_intake_starts_acknowledge_first_response_and_solution_clocks_on_the_working_calendar(agent):
    complaint = _complaint(agent)
    assert complaint.risk_level == "low"
    assert due(complaint, "acknowledge") == "2026-10-01T10:00+08:00"  # 24 hours, holiday or not
    assert due(complaint, "first_response") == "2026-10-08T10:00+08:00"  # one working day after National Day
    assert due(complaint, "solution") == "2026-10-13T10:00+08:00"  # five working days, 10-10 is worked


def test_an_emergency_must_be_acknowledged_within_the_two_hour_golden_period(agent):
    complaint = _complaint(agent, text="孩子被热水壶烫伤住院了")
    assert complaint.emergency
    assert due(complaint, "acknowledge") == "2026-09-30T12:00+08:00"
    assert due(complaint, "solution") == "2026-10-08T10:00+08:00"


def test_medium_risk_is_resolved_within_48_hours(agent):
    complaint = _complaint(agent, text="快递丢了，要求赔偿损失", amount="800")
    assert complaint.risk_level == "medium"
    assert due(complaint, "solution") == "2026-10-02T10:00+08:00"


def test_a_regulator_forwarded_complaint_gets_seven_working_days_to_accept_in_retail():
    store_policy("ecommerce", activate=True)
    agent = make_user(Role.AGENT, department=make_department())
    complaint = _complaint(agent, channel="regulator")
    assert due(complaint, "acknowledge") == "2026-10-15T10:00+08:00"


def test_banking_resolves_within_fifteen_calendar_days():
    store_policy("banking", activate=True)
    agent = make_user(Role.AGENT, department=make_department())
    assert due(_complaint(agent, text="想咨询一下信用卡积分规则"), "solution") == "2026-10-15T10:00+08:00"


def test_a_raised_level_shortens_the_running_limits(agent):
    complaint = _complaint(agent)
    override_risk(complaint, level="high", reason="人大代表来电", by=make_user(Role.SPECIALIST), now=at("2026-09-30T11:00"))
    assert due(complaint, "solution") == "2026-10-10T10:00+08:00"  # three working days; Saturday 10-10 is worked


def test_acknowledging_meets_its_clock_and_investigating_starts_one(agent):
    complaint = _complaint(agent)
    acknowledge(complaint, by=agent, now=at("2026-09-30T11:00"))
    assert complaint.deadlines.get(stage="acknowledge").met_at == at("2026-09-30T11:00")
    start_investigation(complaint, by=agent, now=at("2026-10-08T09:00"))
    assert complaint.deadlines.get(stage="first_response").met_at is not None
    assert due(complaint, "investigation") == "2026-10-14T09:00+08:00"
    assert complaint.events.filter(kind="status_changed").count() == 2


def test_a_wrong_step_names_the_status_and_changes_nothing(agent):
    complaint = _complaint(agent)
    with pytest.raises(IntakeError) as error:
        perform(complaint, "close", by=agent, now=at("2026-09-30T11:00"))
    assert error.value.errors[0].field == "status"
    complaint.refresh_from_db()
    assert complaint.status == "received" and not complaint.events.filter(kind="status_changed").exists()


def test_an_analyst_may_not_move_a_complaint(agent):
    complaint = _complaint(agent)
    with pytest.raises(AccessDenied):
        acknowledge(complaint, by=make_user(Role.ANALYST), now=at("2026-09-30T11:00"))


def test_waiting_for_the_customer_stops_the_clock_and_resuming_gives_back_the_time_left(agent):
    complaint = _complaint(agent, when="2026-11-02T10:00")  # Monday
    start_investigation(complaint, by=agent, now=at("2026-11-02T10:00"))
    assert due(complaint, "investigation") == "2026-11-09T10:00+08:00"
    deadlines.pause(complaint, by=agent, reason="请客户提供购买凭证", now=at("2026-11-03T10:00"))
    deadlines.resume(complaint, by=agent, now=at("2026-11-06T10:00"), note="凭证已收到")  # 3 working days later
    assert due(complaint, "investigation") == "2026-11-12T10:00+08:00"
    clock = complaint.deadlines.get(stage="investigation")
    assert clock.paused_seconds == 3 * 86400 and clock.paused_at is None
    resumed = complaint.events.get(kind="resumed")
    assert resumed.data["paused_seconds"] == 3 * 86400


def test_pausing_needs_a_reason_and_a_working_state(agent):
    complaint = _complaint(agent)
    with pytest.raises(IntakeError) as error:
        deadlines.pause(complaint, by=agent, reason=" ", now=at("2026-09-30T11:00"))
    assert {e.field for e in error.value.errors} == {"status", "reason"}


def test_investigation_is_extended_once_to_ten_working_days_by_an_approver(agent):
    complaint = _complaint(agent, when="2026-11-02T10:00")
    start_investigation(complaint, by=agent, now=at("2026-11-02T10:00"))
    with pytest.raises(AccessDenied):
        deadlines.extend(complaint, "investigation", by=agent, reason="需送检", now=at("2026-11-04T10:00"))
    manager = make_user(Role.MANAGER, department=agent.department)
    deadlines.extend(complaint, "investigation", by=manager, reason="需送第三方检测", now=at("2026-11-04T10:00"))
    assert due(complaint, "investigation") == "2026-11-16T10:00+08:00"
    with pytest.raises(IntakeError, match="already extended"):
        deadlines.extend(complaint, "investigation", by=manager, reason="再延", now=at("2026-11-05T10:00"))
    assert complaint.events.get(kind="deadline_extended").note == "需送第三方检测"


def test_a_stage_without_an_extension_in_the_policy_cannot_be_extended(agent):
    complaint = _complaint(agent)
    with pytest.raises(IntakeError, match="no extension"):
        deadlines.extend(complaint, "acknowledge", by=make_user(Role.MANAGER), reason="x", now=at("2026-09-30T11:00"))


def test_telecom_answers_within_fifteen_days_and_acknowledges_a_forwarded_appeal_in_a_working_day():
    store_policy("telecom", activate=True)
    agent = make_user(Role.AGENT, department=make_department())
    assert due(_complaint(agent, text="请问如何办理宽带移机"), "solution") == "2026-10-15T10:00+08:00"
    forwarded = _complaint(agent, text="请问如何办理宽带移机", channel="regulator")
    assert due(forwarded, "acknowledge") == "2026-10-08T10:00+08:00"


def test_aviation_answers_within_ten_working_days():
    store_policy("aviation", activate=True)
    agent = make_user(Role.AGENT, department=make_department())
    assert due(_complaint(agent, text="请问如何办理值机"), "solution") == "2026-10-20T10:00+08:00"


def test_moving_on_while_waiting_for_the_customer_restarts_the_clocks_first(agent):
    from tousu.workflow.actions.approvals import SolutionInput, propose_solution

    complaint = _complaint(agent, when="2026-11-02T10:00")
    start_investigation(complaint, by=agent, now=at("2026-11-02T10:00"))
    deadlines.pause(complaint, by=agent, reason="请客户补充材料", now=at("2026-11-03T10:00"))
    propose_solution(complaint, SolutionInput(measures="退款", owner=agent, due_date=at("2026-11-20T00:00").date()),
                     by=agent, now=at("2026-11-04T10:00"))
    complaint.refresh_from_db()
    assert complaint.waiting_since is None and complaint.events.filter(kind="resumed").exists()
    assert not complaint.deadlines.filter(met_at__isnull=True, paused_at__isnull=False).exists()


def test_the_customer_is_told_when_the_case_needs_longer_with_the_expected_date(agent):
    from tousu.notify.models import Notification

    complaint = _complaint(agent, when="2026-11-02T10:00", email="kehu@example.com")
    start_investigation(complaint, by=agent, now=at("2026-11-02T10:00"))
    deadlines.extend(complaint, "investigation", by=make_user(Role.MANAGER), reason="需送检",
                     now=at("2026-11-04T10:00"))
    mail = Notification.objects.get(kind="customer_update")
    assert mail.address == "kehu@example.com" and "2026-11-16" in mail.body
    assert complaint.events.get(kind="contact").data["expected"] == "2026-11-16"


def test_the_public_progress_page_shows_the_expected_answer_date(client, agent):
    complaint = _complaint(agent, when="2026-09-30T10:00", phone="13812345678")
    page = client.post("/public/lookup/", {"tracking_number": complaint.tracking_number, "contact": "13812345678"})
    assert 'id="expected"' in page.content.decode() and "2026-10-13" in page.content.decode()
