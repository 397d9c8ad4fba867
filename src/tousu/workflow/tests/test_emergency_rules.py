"""An emergency plan is carried out by a team, can grow later, and keeps its complaint open until it ends."""

import pytest
from django.utils import timezone

from tousu.complaints.validation import IntakeError
from tousu.testing import make_complaint, make_team
from tousu.workflow.actions import emergency
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import EmergencyPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def crisis():
    team = make_team()
    complaint = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了")
    return team, complaint, EmergencyPlan.objects.get(complaints=complaint)


def test_a_plan_cannot_be_activated_without_a_team(crisis):
    team, _complaint, plan = crisis
    with pytest.raises(IntakeError, match="team"):
        emergency.activate(plan, by=team["leader"], now=timezone.now())
    plan.refresh_from_db()
    assert plan.state == "proposed"


def test_people_join_the_team_of_an_active_plan_later(crisis):
    team, _complaint, plan = crisis
    emergency.activate(plan, by=team["leader"], now=timezone.now(), team=[(team["manager"], "on_site")])
    emergency.add_members(plan, by=team["leader"], now=timezone.now(), team=[(team["specialist"], "records")])
    assert set(plan.members.values_list("user__username", flat=True)) >= {team["manager"].username,
                                                                          team["specialist"].username}
    with pytest.raises(IntakeError, match="team"):
        emergency.add_members(plan, by=team["leader"], now=timezone.now(), team=[])


def test_a_complaint_whose_plan_is_open_cannot_be_closed_until_the_leader_ends_it(crisis):
    team, complaint, plan = crisis
    now = timezone.now()
    for action in ("acknowledge", "start_investigation"):
        perform(complaint, action, by=team["agent"], now=now)
    complaint.status = "customer_feedback"
    complaint.save(update_fields=["status"])
    with pytest.raises(IntakeError, match="emergency"):
        perform(complaint, "close", by=team["agent"], now=now)
    emergency.decline(plan, by=team["leader"], reason="客户已送医，无扩散", now=now)
    perform(complaint, "close", by=team["agent"], now=now)
    complaint.refresh_from_db()
    assert complaint.status == "closed"
