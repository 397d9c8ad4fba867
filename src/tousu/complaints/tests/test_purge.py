"""Retention (R-SEC-3): `tousu purge` anonymises archived complaints closed longer ago than the policy's
retention, prints what it did, keeps the statistics, and never shortens retention below three years."""

import json
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.risk.policy import PolicyError, load_policy_text
from tousu.testing import make_complaint
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 1, 9, 0, tzinfo=SHANGHAI)
TEXT = "我是王五，电话13812345678，热水壶漏电把手烫伤了"


def _complaint(status, closed_at):
    complaint = make_complaint(text=TEXT, phone="13812345678", email="wangwu@example.com", customer_name="王五",
                               amount="300")
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.CONTACT, at=closed_at,
                                  note="回电13812345678", data={"channel": "phone"})
    Complaint.objects.filter(pk=complaint.pk).update(status=status, closed_at=closed_at)
    return complaint


def _purge(*args):
    out = StringIO()
    call_command("purge", "--now", NOW.strftime("%Y-%m-%dT%H:%M"), *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def complaints():
    return {
        "old_archived": _complaint("archived", datetime(2027, 5, 1, tzinfo=SHANGHAI)),
        "young_archived": _complaint("archived", datetime(2027, 7, 1, tzinfo=SHANGHAI)),
        "old_closed": _complaint("closed", datetime(2026, 1, 1, tzinfo=SHANGHAI)),
    }


def test_a_dry_run_lists_what_would_be_anonymised_and_changes_nothing(complaints):
    report = _purge("--dry-run")
    assert report["would_anonymise"] == 1
    assert report["tracking_numbers"] == [complaints["old_archived"].tracking_number]
    complaints["old_archived"].refresh_from_db()
    assert complaints["old_archived"].phone == "13812345678"
    assert not ComplaintEvent.objects.filter(kind=EventKind.ANONYMISED).exists()


def test_only_archived_complaints_past_retention_lose_their_personal_data(complaints):
    before = {c.pk: (c.risk_level, c.amount, c.channel, c.received_at) for c in Complaint.objects.all()}
    report = _purge()
    assert report["anonymised"] == 1 and report["years_after_closing"] == 3 and report["events_masked"] == 1
    old = Complaint.objects.get(pk=complaints["old_archived"].pk)
    assert (old.customer_name, old.phone, old.email) == ("", "", "")
    assert "13812345678" not in old.text and "138****5678" in old.text and "热水壶漏电" in old.text
    assert old.events.get(kind=EventKind.CONTACT).note == "回电138****5678"
    assert old.events.get(kind=EventKind.ANONYMISED).data["cleared"] == ["customer_name", "phone", "email"]
    for key in ("young_archived", "old_closed"):
        untouched = Complaint.objects.get(pk=complaints[key].pk)
        assert untouched.phone == "13812345678" and untouched.text == TEXT
    assert {c.pk: (c.risk_level, c.amount, c.channel, c.received_at) for c in Complaint.objects.all()} == before


def test_a_second_purge_finds_nothing_left(complaints):
    _purge()
    assert _purge()["anonymised"] == 0


def test_a_policy_may_not_keep_records_less_than_three_years():
    with pytest.raises(PolicyError, match="retention"):
        load_policy_text("extends: default\nname: short\nversion: '1'\nretention:\n  years_after_closing: 2\n")
    policy = load_policy_text("extends: default\nname: long\nversion: '1'\nretention:\n  years_after_closing: 5\n")
    assert policy.retention.years_after_closing == 5
