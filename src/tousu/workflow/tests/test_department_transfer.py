"""A transfer to a department gives the complaint an owner there — the department's duty person, else its
manager — and tells them; the escalation meant for the owner then reaches that person."""

from datetime import datetime

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.models import ChannelDuty
from tousu.complaints.validation import IntakeError
from tousu.notify.models import Notification
from tousu.testing import make_complaint, make_department, make_team, make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.actions.sweep import sweep
from tousu.workflow.actions.transfer import transfer
from tousu.workflow.actions.transitions import acknowledge
from tousu.workflow.models import Escalation

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def people():
    """The complaint's team, and a logistics department with its manager and two agents."""
    team = make_team()
    logistics = make_department(code="logistics", name="物流部")
    team["logistics"] = logistics
    team["logistics_manager"] = make_user(Role.MANAGER, department=logistics)
    logistics.manager = team["logistics_manager"]
    logistics.save()
    team["on_duty"] = make_user(Role.AGENT, department=logistics)
    team["colleague"] = make_user(Role.AGENT, department=logistics)
    return team


def _complaint(people, channel="phone"):
    return make_complaint(by=people["agent"], text="快递丢了，要求赔偿", channel=channel, now=NOW, received_at=NOW)


def _transferred_to(complaint, people):
    notified = {n.recipient for n in Notification.objects.filter(kind="transfer", complaint=complaint)}
    return complaint.owner, complaint.department, notified


def test_the_departments_duty_person_becomes_the_owner_and_is_told(people):
    ChannelDuty.objects.create(channel="web", agent=people["on_duty"], department=people["logistics"])
    complaint = _complaint(people)
    record = transfer(complaint, by=people["agent"], to_department=people["logistics"], reason="物流问题", now=NOW)
    complaint.refresh_from_db()
    assert _transferred_to(complaint, people) == (people["on_duty"], people["logistics"], {people["on_duty"]})
    assert complaint.first_owner == people["agent"]
    assert record.to_user == people["on_duty"] and record.to_department == people["logistics"]
    event = complaint.events.get(kind="transferred")
    assert event.data["after"] == {"owner": people["on_duty"].pk, "department": people["logistics"].pk}


def test_the_duty_person_for_the_complaints_own_channel_comes_first(people):
    ChannelDuty.objects.create(channel="web", agent=people["on_duty"], department=people["logistics"])
    ChannelDuty.objects.create(channel="phone", agent=people["colleague"], department=people["logistics"])
    complaint = _complaint(people, channel="phone")
    transfer(complaint, by=people["agent"], to_department=people["logistics"], reason="物流问题", now=NOW)
    complaint.refresh_from_db()
    assert complaint.owner == people["colleague"]


def test_a_duty_agent_of_the_department_counts_when_the_duty_names_no_department(people):
    ChannelDuty.objects.create(channel="email", agent=people["on_duty"])
    complaint = _complaint(people)
    transfer(complaint, by=people["agent"], to_department=people["logistics"], reason="物流问题", now=NOW)
    complaint.refresh_from_db()
    assert complaint.owner == people["on_duty"]


def test_without_a_duty_person_the_manager_takes_it_over(people):
    # A duty elsewhere, and one here held by someone who has left: neither takes it.
    ChannelDuty.objects.create(channel="web", agent=people["specialist"], department=people["department"])
    gone = make_user(Role.AGENT, department=people["logistics"])
    gone.is_active = False
    gone.save()
    ChannelDuty.objects.create(channel="phone", agent=gone, department=people["logistics"])
    complaint = _complaint(people)
    transfer(complaint, by=people["agent"], to_department=people["logistics"], reason="物流问题", now=NOW)
    complaint.refresh_from_db()
    assert _transferred_to(complaint, people) == (
        people["logistics_manager"], people["logistics"], {people["logistics_manager"]})


def test_a_department_with_nobody_to_take_it_is_refused_and_nothing_changes(people):
    empty = make_department(code="legal", name="法务部")
    complaint = _complaint(people)
    with pytest.raises(IntakeError) as error:
        transfer(complaint, by=people["agent"], to_department=empty, reason="法律问题", now=NOW)
    assert [e.field for e in error.value.errors] == ["to_department"]
    complaint.refresh_from_db()
    assert complaint.owner == people["agent"] and complaint.department == people["department"]
    assert not complaint.transfers.exists() and not complaint.events.filter(kind="transferred").exists()
    assert not Notification.objects.filter(kind="transfer").exists()


def test_a_department_whose_taker_already_owns_it_is_no_transfer(people):
    complaint = _complaint(people)
    ChannelDuty.objects.create(channel="phone", agent=people["agent"], department=people["department"])
    with pytest.raises(IntakeError, match="already owns"):
        transfer(complaint, by=people["agent"], to_department=people["department"], reason="x", now=NOW)


def test_the_owner_escalation_after_a_department_transfer_reaches_the_new_owner(people):
    ChannelDuty.objects.create(channel="web", agent=people["on_duty"], department=people["logistics"])
    complaint = _complaint(people)
    acknowledge(complaint, by=people["agent"], now=at("2026-11-02T11:00"))
    transfer(complaint, by=people["agent"], to_department=people["logistics"], reason="物流问题",
             now=at("2026-11-02T12:00"))
    sweep(at("2026-11-03T10:30"))  # the first response was due 2026-11-03T10:00
    escalation = Escalation.objects.get(complaint=complaint)
    assert escalation.step == "owner" and escalation.recipients == [people["on_duty"].pk]
    assert {n.recipient for n in Notification.objects.filter(kind="escalation")} == {people["on_duty"]}
