import pytest

from tousu.accounts.roles import Role
from tousu.complaints.validation import IntakeError
from tousu.testing import make_user
from tousu.workflow.actions import clocks
from tousu.workflow.actions.sweep import sweep
from tousu.workflow.actions.transitions import acknowledge, start_investigation
from tousu.workflow.tests.clock_helpers import agent_under, at, complaint, due

pytestmark = pytest.mark.django_db


def test_mediation_of_a_forwarded_complaint_ends_after_forty_five_working_days_without_agreement():
    agent = agent_under("ecommerce")
    case = complaint(agent, text="网购的衣服有色差，要求退货", channel="regulator", when="2026-08-31T10:00")
    acknowledge(case, by=agent, now=at("2026-09-01T10:00"))
    assert due(case, "mediation") == "2026-11-09T10:00+08:00"
    assert sweep(at("2026-11-09T09:59")).get("mediations_ended") is None
    assert sweep(at("2026-11-09T10:01"))["mediations_ended"] == 1
    ended = case.deadlines.get(stage="mediation")
    assert ended.outcome == "lapsed" and ended.met_at == at("2026-11-09T10:00")
    assert due(case, "mediation_notice") == "2026-11-18T10:00+08:00"  # both parties told in 7 working days
    clocks.tell_parties_mediation_ended(case, by=agent, note="已电话告知双方", now=at("2026-11-10T10:00"))
    assert case.deadlines.get(stage="mediation_notice").met_at == at("2026-11-10T10:00")


def test_an_agreement_ends_mediation_without_a_notice_clock():
    agent = agent_under("ecommerce")
    case = complaint(agent, text="网购的衣服有色差，要求退货", channel="regulator", when="2026-08-31T10:00")
    acknowledge(case, by=agent, now=at("2026-09-01T10:00"))
    clocks.end_mediation(case, by=agent, agreed=True, now=at("2026-09-10T10:00"))
    assert case.deadlines.get(stage="mediation").outcome == "agreed"
    assert not case.deadlines.filter(stage="mediation_notice").exists()


def test_a_complaint_about_harm_known_more_than_three_years_ago_is_flagged_not_acceptable():
    agent = agent_under("ecommerce")
    case = complaint(agent, text="三年前买的热水器漏水", channel="regulator", when="2026-03-02T09:00")
    check = clocks.check_time_bar(case, by=agent, harm_known_on=at("2023-03-01T00:00").date(), now=at("2026-03-02T10:00"))
    assert check.barred and "第十五条" in check.source
    with pytest.raises(IntakeError) as error:
        clocks.check_time_bar(case, by=agent, harm_known_on=at("2026-04-01T00:00").date(), now=at("2026-03-02T10:00"))
    assert error.value.errors[0].field == "harm_known_on"


def test_telecom_tells_the_customer_the_expected_date_within_five_working_days():
    agent = agent_under("telecom")
    case = complaint(agent, text="宽带经常断网", when="2026-09-30T10:00", email="kehu@example.com")
    assert due(case, "delay_notice") == "2026-10-13T10:00+08:00"  # after National Day; Saturday 10-10 is worked
    with pytest.raises(IntakeError) as error:
        clocks.notify_expected_date(case, by=agent, expected=None, now=at("2026-10-09T10:00"))
    assert error.value.errors[0].field == "expected"
    clocks.notify_expected_date(case, by=agent, expected=at("2026-10-20T00:00").date(), now=at("2026-10-09T10:00"))
    assert case.deadlines.get(stage="delay_notice").met_at == at("2026-10-09T10:00")
    assert case.events.get(kind="contact").data["expected"] == "2026-10-20"


def test_aviation_refunds_within_seven_working_days_of_a_refund_request():
    agent = agent_under("aviation")
    refund = complaint(agent, text="航班取消，要求退款", demand="refund", when="2026-09-30T10:00")
    assert due(refund, "refund") == "2026-10-15T10:00+08:00"  # Saturday 10-10 is worked
    other = complaint(agent, text="行李破损，要求维修", demand="repair", when="2026-09-30T10:00")
    assert not other.deadlines.filter(stage="refund").exists()


def test_the_enterprise_guide_runs_two_follow_up_clocks_after_completion():
    from tousu.workflow.actions.approvals import SolutionInput, decide, propose_solution
    from tousu.workflow.actions.transitions import perform

    agent = agent_under("enterprise")
    case = complaint(agent, text="想咨询一下退货流程", when="2026-11-02T10:00")
    assert due(case, "result_feedback") == "2026-11-05T10:00+08:00"
    start_investigation(case, by=agent, now=at("2026-11-02T11:00"))
    solution = propose_solution(case, SolutionInput(measures="解释流程", owner=agent,
                                                    due_date=at("2026-11-03T00:00").date()),
                                by=agent, now=at("2026-11-02T12:00"))
    decide(solution, by=make_user(Role.SPECIALIST, department=agent.department), approve=True, reason="",
           now=at("2026-11-02T13:00"))
    case.refresh_from_db()
    perform(case, "carry_out", by=agent, now=at("2026-11-02T14:00"))
    assert due(case, "first_follow_up") == "2026-11-03T14:00+08:00"
    assert due(case, "second_follow_up") == "2026-11-05T14:00+08:00"
    assert case.deadlines.get(stage="result_feedback").met_at == at("2026-11-02T14:00")
    assert clocks.record_follow_up(case, by=agent, note="客户满意", now=at("2026-11-03T09:00")).stage == "first_follow_up"
    assert clocks.record_follow_up(case, by=agent, note="无新问题", now=at("2026-11-04T09:00")).stage == "second_follow_up"
