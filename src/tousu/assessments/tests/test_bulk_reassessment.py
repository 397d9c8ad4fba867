"""Re-assessing many complaints at once must give what re-assessing them one by one gives."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.actions import RISK_FIELDS, _outcome, assess_complaint
from tousu.assessments.history import histories_now, history_for
from tousu.assessments.models import Incident, RiskAssessment
from tousu.assessments.policies import active_policy, store_policy
from tousu.complaints.models import Complaint
from tousu.intake.consequences import apply, override_risk, reassess
from tousu.testing import make_complaint, make_user
from tousu.workflow.actions.deadlines import recompute_for_levels

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def varied():
    """Complaints sharing phones, emails, lots and products in and out of each window, with a type, lot
    quantities, an open incident on one lot and one complaint closed."""
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    rows = [
        dict(text="踏板螺纹不良", phone="13800000001", lot="L1", product="PD-610", quantity_delivered=100,
             quantity_defective=10, received_at=now - 2 * DAY),
        dict(text="踏板螺纹不良，又坏了", phone="13800000001", email="a@example.com", lot="L1", product="PD-610",
             quantity_defective=25, received_at=now - 5 * DAY),
        dict(text="脚踏开裂", email="a@example.com", lot="L2", product="PD-610", received_at=now - 9 * DAY),
        dict(text="脚踏开裂，要求换货", phone="13800000001", lot="L2", product="PD-700", received_at=now - 40 * DAY),
        dict(text="中轴异响", phone="13800000002", product="BB-10", received_at=now - 1 * DAY),
        dict(text="中轴异响，第二次", phone="13800000002", product="BB-10", received_at=now - 3 * DAY),
        dict(text="想咨询一下保修", received_at=now - 1 * DAY),
        dict(text="踏板螺纹不良，第三批", lot="L3", product="PD-610", quantity_delivered=10, quantity_defective=9,
             received_at=now - 2 * DAY),
        dict(text="踏板螺纹不良，在事故批次", lot="L4", product="PD-610", received_at=now - 1 * DAY),
    ]
    complaints = [make_complaint(now=now, **row) for row in rows]
    Complaint.objects.filter(pk=complaints[6].pk).update(status="closed")
    Incident.objects.create(key="lot", value="L4", opened_at=now, count_at_open=6, expected=1.0)
    return now, list(Complaint.objects.order_by("id"))


def test_histories_now_agree_with_history_for_each_complaint(varied):
    now, complaints = varied
    _version, policy = active_policy()
    later = now + timedelta(hours=1)
    together = histories_now(complaints, policy, later)
    assert together == {c.pk: history_for(c, policy, until=later) for c in complaints}
    # One by phone, one by email; the third of that phone is older than the 30-day window.
    assert together[complaints[1].pk].customer_earlier == 2
    assert together[complaints[8].pk].incident


def _state(complaints):
    rows = {}
    for c in Complaint.objects.filter(pk__in=[c.pk for c in complaints]).order_by("id"):
        latest = c.assessments.order_by("-assessed_at", "-id").first()
        rows[c.pk] = ({name: getattr(c, name) for name in RISK_FIELDS}, _outcome(latest), latest.trigger,
                      c.assessments.count(), c.events.filter(kind="assessed").count(),
                      sorted(c.deadlines.values_list("stage", "due_at")))
    return rows


def test_reassessing_many_stores_what_one_by_one_stores(varied):
    now, complaints = varied
    leader = make_user(Role.LEADER)
    # Make some stored results stale: others keep theirs, one has an override that must survive.
    RiskAssessment.objects.filter(complaint__in=complaints[::2]).update(risk_level="low", factors=[])
    Complaint.objects.filter(pk__in=[c.pk for c in complaints[::2]]).update(risk_level="low")
    recompute_for_levels(list(Complaint.objects.filter(pk__in=[c.pk for c in complaints[::2]])), now=now)  # clocks follow
    override_risk(complaints[1], level="high", reason="客户已联系媒体", by=leader, now=now)
    later = now + timedelta(hours=1)
    before = _state(complaints)

    with transaction.atomic():
        point = transaction.savepoint()
        for c in Complaint.objects.filter(pk__in=[c.pk for c in complaints]).order_by("id"):
            apply(assess_complaint(c, now=later, trigger="repeat", only_if_changed=True).changes, now=later)
        one_by_one = _state(complaints)
        transaction.savepoint_rollback(point)

    fresh = list(Complaint.objects.filter(pk__in=[c.pk for c in complaints]).order_by("id"))
    stored = reassess([(c, "repeat") for c in fresh], now=later).rows
    assert _state(complaints) == one_by_one
    renewed = {pk for pk, state in one_by_one.items() if state[3] > before[pk][3]}  # a new assessment stored
    assert {row.complaint_id for row in stored} == renewed and len(renewed) >= 3
    moved = [pk for pk in renewed if one_by_one[pk][5] != before[pk][5]]
    assert moved  # some levels changed, and with them the running clocks
    assert Complaint.objects.get(pk=complaints[1].pk).risk_level == "high"  # the override stands


def test_nothing_changed_stores_nothing(varied):
    now, complaints = varied
    fresh = list(Complaint.objects.filter(pk__in=[c.pk for c in complaints]).order_by("id"))
    reassess([(c, "repeat") for c in fresh], now=now + timedelta(minutes=1))
    counts = RiskAssessment.objects.count()
    assert reassess([(c, "repeat") for c in fresh], now=now + timedelta(minutes=2)).rows == []
    assert RiskAssessment.objects.count() == counts
