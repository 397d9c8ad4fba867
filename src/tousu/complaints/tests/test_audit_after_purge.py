"""Retention masks old history (R-SEC-3) without breaking the audit chain (R-SEC-4): the anonymised event
records the hash of each masked row, and a masked row changed afterwards is still found."""

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tousu.complaints.actions.retention import purge
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.testing import make_complaint
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def purged():
    complaint = make_complaint(text="我是王五，电话13812345678，热水壶漏电", phone="13812345678")
    closed = datetime(2026, 5, 1, tzinfo=SHANGHAI)
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.CONTACT, at=closed, note="回电13812345678")
    Complaint.objects.filter(pk=complaint.pk).update(status="archived", closed_at=closed)
    assert purge(now=NOW).events_masked >= 1
    return ComplaintEvent.objects.get(complaint=complaint, kind=EventKind.CONTACT)


def verify_audit():
    out = StringIO()
    call_command("verify-audit", "--full", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_a_purged_history_still_verifies(purged):
    assert "13812345678" not in purged.note
    assert verify_audit()["ok"]


def test_a_masked_row_changed_after_the_purge_is_named(purged):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_complaintevent SET note = %s WHERE id = %s", ["回电（已改）", purged.pk])
    with pytest.raises(CommandError):
        verify_audit()
