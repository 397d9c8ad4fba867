from datetime import datetime, timedelta

import pytest

from tousu.accounts.roles import Role
from tousu.intake.incidents import detect
from tousu.testing import make_complaint, make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.models import EmergencyPlan

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def _complaints(n: int, *, start: int = 0, at: datetime = NOW - timedelta(hours=1)):
    return [make_complaint(text=f"很多人的充电宝都鼓包了，第{start + i}位", product="充电宝 P10", phone=f"1370000{start + i:04d}",
                           now=at, received_at=at) for i in range(n)]


def test_an_incident_proposes_one_emergency_plan_that_links_all_its_complaints():
    make_user(Role.LEADER)
    complaints = _complaints(40)
    plans_before = EmergencyPlan.objects.count()
    [incident] = detect(NOW)
    assert EmergencyPlan.objects.count() == plans_before + 1
    plan = incident.emergency_plan
    assert plan.state == EmergencyPlan.State.PROPOSED
    assert set(plan.complaints.all()) == set(complaints)
    assert not EmergencyPlan.objects.filter(proposed_at=NOW).exclude(pk=plan.pk).exists()  # none per complaint


def test_a_complaint_arriving_during_the_incident_joins_its_plan_and_gets_none_of_its_own():
    _complaints(8)
    [incident] = detect(NOW)
    [late] = _complaints(1, start=100, at=NOW + timedelta(minutes=10))
    assert list(late.emergency_plans.all()) == [incident.emergency_plan]
