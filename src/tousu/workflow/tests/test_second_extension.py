import pytest

from tousu.accounts.roles import Role
from tousu.complaints.access import AccessDenied
from tousu.complaints.validation import IntakeError
from tousu.notify.models import Notification
from tousu.testing import make_user
from tousu.workflow.actions import deadlines
from tousu.workflow.tests.clock_helpers import agent_under, at, complaint, due

pytestmark = pytest.mark.django_db


def test_a_banking_case_is_extended_to_thirty_days_and_then_to_sixty_only_by_a_leader():
    agent = agent_under("banking")
    case = complaint(agent, email="kehu@example.com")
    assert due(case, "solution") == "2026-10-15T10:00+08:00"
    manager = make_user(Role.MANAGER, department=agent.department)
    deadlines.extend(case, "solution", by=manager, reason="情况复杂，需调取录音", now=at("2026-10-10T10:00"))
    assert due(case, "solution") == "2026-10-30T10:00+08:00"
    with pytest.raises(AccessDenied, match="leader"):
        deadlines.extend(case, "solution", by=manager, reason="情况特别复杂", now=at("2026-10-20T10:00"))
    assert due(case, "solution") == "2026-10-30T10:00+08:00"
    leader = make_user(Role.LEADER)
    deadlines.extend(case, "solution", by=leader, reason="情况特别复杂，总行审批", now=at("2026-10-20T10:00"))
    assert due(case, "solution") == "2026-11-29T10:00+08:00"
    clock = case.deadlines.get(stage="solution")
    assert clock.second_extended_by == leader and clock.second_extension_reason == "情况特别复杂，总行审批"
    mails = Notification.objects.filter(kind="customer_update").order_by("id")
    assert ["2026-10-30" in m.body for m in mails] == [True, False] and "2026-11-29" in mails[1].body


def test_a_second_extension_needs_a_reason_and_there_is_no_third():
    agent = agent_under("banking")
    case = complaint(agent)
    leader = make_user(Role.LEADER)
    deadlines.extend(case, "solution", by=leader, reason="复杂", now=at("2026-10-10T10:00"))
    with pytest.raises(IntakeError) as error:
        deadlines.extend(case, "solution", by=leader, reason=" ", now=at("2026-10-11T10:00"))
    assert {e.field for e in error.value.errors} == {"reason"}
    deadlines.extend(case, "solution", by=leader, reason="特别复杂", now=at("2026-10-12T10:00"))
    with pytest.raises(IntakeError, match="extended twice"):
        deadlines.extend(case, "solution", by=leader, reason="再延", now=at("2026-10-13T10:00"))


def test_without_a_second_extension_in_the_policy_the_first_is_the_last():
    agent = agent_under("default")
    case = complaint(agent, when="2026-11-02T10:00")
    from tousu.workflow.actions.transitions import start_investigation

    start_investigation(case, by=agent, now=at("2026-11-02T10:00"))
    leader = make_user(Role.LEADER)
    deadlines.extend(case, "investigation", by=leader, reason="送检", now=at("2026-11-03T10:00"))
    with pytest.raises(IntakeError, match="already extended once"):
        deadlines.extend(case, "investigation", by=leader, reason="再延", now=at("2026-11-04T10:00"))
