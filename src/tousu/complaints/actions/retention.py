"""R-SEC-3: archived complaints past the policy's retention lose their personal data. What makes the
statistics (channel, times, product, lot, region, amounts, risk, type, status, owners, clocks) stays; the
customer's name, phone and email are cleared and the text and history keep their words with every phone,
ID, card number and email in them masked. Each complaint so treated gets an `anonymised` event, so a
second run finds nothing left to do."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.choices import EventKind, Status
from tousu.complaints.events import redact
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.core.masking import mask_text, mask_value

PERSONAL_COLUMNS = ("customer_name", "phone", "email")


@dataclass
class PurgeReport:
    cutoff: datetime
    years_after_closing: int
    dry_run: bool
    tracking_numbers: list[str] = field(default_factory=list)
    events_masked: int = 0


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year - years, day=28)


def due_for_purge(now: datetime, years: int):
    already = ComplaintEvent.objects.filter(kind=EventKind.ANONYMISED).values("complaint_id")
    return (Complaint.objects.filter(status=Status.ARCHIVED, closed_at__lte=years_before(now, years))
            .exclude(pk__in=already).order_by("closed_at", "id"))


def purge(*, now: datetime, dry_run: bool = False) -> PurgeReport:
    _version, policy = active_policy()
    years = policy.retention.years_after_closing
    report = PurgeReport(cutoff=years_before(now, years), years_after_closing=years, dry_run=dry_run)
    for complaint in due_for_purge(now, years).iterator(chunk_size=500):
        report.tracking_numbers.append(complaint.tracking_number)
        if dry_run:
            continue
        with transaction.atomic():
            report.events_masked += _anonymise(complaint, now)
    return report


def _anonymise(complaint: Complaint, now: datetime) -> int:
    cleared = [name for name in PERSONAL_COLUMNS if getattr(complaint, name)]
    for name in PERSONAL_COLUMNS:
        setattr(complaint, name, "")
    text_masked = mask_text(complaint.text) != complaint.text
    complaint.text = mask_text(complaint.text)
    complaint.save(update_fields=[*PERSONAL_COLUMNS, "text", "updated_at"])
    changed = []
    for event in complaint.events.all():
        note, data = mask_text(event.note), mask_value(event.data)
        if (note, data) != (event.note, event.data):
            event.note, event.data = note, data
            changed.append(event)
    redacted = redact(changed)  # the audit chain (R-SEC-4) then accepts the masked rows
    events.anonymised(complaint.pk, at=now, cleared=cleared, text_masked=text_masked, events_masked=len(changed),
                      redacted=redacted)
    return len(changed)
