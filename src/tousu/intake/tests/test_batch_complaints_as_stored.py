"""A batch keeps its new complaints as objects built from the rows it inserted, not read back: each must be
what reading it back gives, value for value and type for type (times in UTC, amounts to two places, codes
as plain text), with its owner, department and recorder attached."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.policies import active_policy
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake.pipeline import BatchItem, _store_batch
from tousu.testing import make_department, make_user

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.mark.parametrize("role", [Role.SPECIALIST, None])
def test_the_kept_complaints_are_what_reading_them_back_gives(role):
    by = make_user(role, department=make_department()) if role else None
    now = timezone.now()
    rows = [
        {"text": "多扣了 12,000 元货款，要求退还", "amount": "12000", "phone": "13800000009", "channel": "phone",
         "received_at": (now - timedelta(days=2)).isoformat()},
        {"text": "芯轴牙纹不良，装不上", "product": "PD-610", "lot": "L1", "quantity_delivered": "1000",
         "quantity_defective": "50", "amount": "99.5", "channel": "web", "region": "杭州",
         "received_at": (now - timedelta(hours=3)).isoformat()},
        {"text": "孩子骑车踏板断裂摔伤骨折住院", "email": "a@example.com", "channel": "wechat"},
    ]
    fresh = [(f"k{i}", BatchItem(validate_intake(row, now=now), i)) for i, row in enumerate(rows)]
    with transaction.atomic():
        kept = _store_batch(fresh, by=by, now=now, origin="t.csv", source="import", policy=active_policy())
    for complaint in kept:
        stored = Complaint.objects.select_related("owner", "first_owner", "department", "recorded_by").get(
            pk=complaint.pk)
        for field in Complaint._meta.concrete_fields:
            mine, theirs = getattr(complaint, field.attname), getattr(stored, field.attname)
            assert (mine, type(mine), str(mine)) == (theirs, type(theirs), str(theirs)), field.name
        with CaptureQueriesContext(connection) as queries:
            attached = (complaint.owner, complaint.first_owner, complaint.department, complaint.recorded_by)
        assert not queries.captured_queries
        assert attached == (stored.owner, stored.first_owner, stored.department, stored.recorded_by)
        assert not complaint._state.adding
