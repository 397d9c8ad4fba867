"""Intake: the one place a complaint comes into being, whatever path it arrived by.

`record_complaint` stores one complaint (API, entry form, public page, email); `record_batch` stores
many at once for imports. Both validate with `IntakeData`, assign the first owner (首问负责), give a
tracking number and write the history event in the same transaction, so once a tracking number has
been shown the complaint is committed.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.assessments.actions import (
    ASSESSMENT_COLUMNS,
    RISK_FIELDS,
    assess_complaint,
    assessment_values,
    facts_of,
    reassess_after_batch,
    reassess_related,
    risk_values,
)
from tousu.assessments.history import lot_totals
from tousu.assessments.learning import assess_with_model, suggestions_for
from tousu.assessments.models import RiskAssessment
from tousu.assessments.policies import active_policy
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.choices import EventKind, Source, Status
from tousu.complaints.events import record_many
from tousu.complaints.models import ChannelDuty, Complaint, ComplaintEvent
from tousu.complaints.tracking import new_tracking_number
from tousu.complaints.validation import IntakeData
from tousu.core.bulk import insert_rows, rows_where_in
from tousu.risk import History, Policy
from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS, intake_deadline_rows
from tousu.workflow.actions.emergency import propose_emergencies
from tousu.workflow.actions.intake import after_intake
from tousu.workflow.models import Deadline

_RECORD_FIELDS = (
    "customer_name", "phone", "email", "customer_level", "company", "channel", "text", "demand",
    "product", "order_no", "lot", "quantity_delivered", "quantity_defective", "region", "amount",
    "external_id",
)
_TRACKING_ATTEMPTS = 8


@dataclass(frozen=True)
class Assignment:
    owner: User | None
    department: Department | None


def first_assignment(by: User | None, channel: str, duties: dict[str, ChannelDuty] | None = None) -> Assignment:
    """Who first owns a complaint: the staff member who took it, else the channel's duty agent."""
    if by is not None and by.can(Capability.RECORD):
        return Assignment(by, by.department)
    duty = (duties or {}).get(channel) if duties is not None else (
        ChannelDuty.objects.select_related("agent__department", "department").filter(channel=channel).first()
    )
    if duty is None:
        return Assignment(None, None)
    return Assignment(duty.agent, duty.department or duty.agent.department)


def _complaint_from(data: IntakeData, *, assignment: Assignment, by: User | None, source: str,
                    now: datetime, import_key: str | None = None) -> Complaint:
    values = {name: getattr(data, name) for name in _RECORD_FIELDS}
    return Complaint(
        **values,
        received_at=data.received_at or now,
        owner=assignment.owner,
        first_owner=assignment.owner,
        department=assignment.department,
        source=source,
        recorded_by=by,
        import_key=import_key,
        created_at=now,
        updated_at=now,
    )


def _recorded_event(complaint: Complaint, *, kind: str, by: User | None, now: datetime,
                    extra: dict | None = None) -> ComplaintEvent:
    data = {"source": complaint.source, "channel": complaint.channel,
            "owner": complaint.owner_id, "department": complaint.department_id}
    if extra:
        data.update(extra)
    return ComplaintEvent(complaint=complaint, kind=kind, actor=by, at=now, data=data)


def record_complaint(data: IntakeData, *, by: User | None, source: str, now: datetime,
                     attachments: Sequence[UploadedFile] = ()) -> Complaint:
    assignment = first_assignment(by, data.channel)
    with transaction.atomic():
        complaint = _complaint_from(data, assignment=assignment, by=by, source=source, now=now)
        for _attempt in range(_TRACKING_ATTEMPTS):
            complaint.tracking_number = new_tracking_number(now)
            try:
                with transaction.atomic():
                    complaint.save(force_insert=True)
                break
            except IntegrityError:
                if Complaint.objects.filter(tracking_number=complaint.tracking_number).exists():
                    complaint.pk = None
                    continue
                raise
        else:  # pragma: no cover - 8 collisions in a row among 24 million numbers
            raise RuntimeError("could not allocate a tracking number")
        _recorded_event(complaint, kind=EventKind.RECORDED, by=by, now=now).save()
        # Assessed before the transaction commits: no complaint is ever shown without its risk.
        policy = active_policy()
        assess_complaint(complaint, now=now, trigger="intake", by=by, policy=policy)
        reassess_related(complaint, now=now, by=by, policy=policy)
        after_intake(complaint, now=now)
        for upload in attachments:
            add_attachment(complaint, upload, by=by, now=now)
    return complaint


def import_key_for(data: IntakeData) -> str:
    """What makes a re-imported row the same complaint: its external id, else a content fingerprint."""
    if data.external_id:
        return f"ext:{data.external_id}"
    content = {
        "text": data.text, "channel": data.channel, "customer_name": data.customer_name,
        "phone": data.phone, "email": data.email, "order_no": data.order_no, "product": data.product,
        "lot": data.lot, "received_at": data.received_at.isoformat() if data.received_at else None,
        "amount": str(data.amount) if data.amount is not None else None,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"fp:{digest}"


@dataclass
class BatchResult:
    tracking_numbers: list[str] = field(default_factory=list)
    duplicates: int = 0

    @property
    def created(self) -> int:
        return len(self.tracking_numbers)


@dataclass(frozen=True)
class BatchItem:
    data: IntakeData
    row: int


_BATCH_COLUMNS = (*_RECORD_FIELDS, "received_at", "tracking_number", "owner", "first_owner", "department",
                  "source", "recorded_by", "import_key", "status", "created_at", "updated_at", *RISK_FIELDS)


def record_batch(items: Sequence[BatchItem], *, by: User | None, now: datetime, origin: str,
                 source: str = Source.IMPORT) -> BatchResult:
    """Store many validated complaints in one transaction, skipping those imported before."""
    result = BatchResult()
    keyed: dict[str, BatchItem] = {}
    for item in items:
        key = import_key_for(item.data)
        if key in keyed:
            result.duplicates += 1
        else:
            keyed[key] = item
    existing = {key for (key,) in rows_where_in(Complaint, "import_key", keyed, "import_key")}
    result.duplicates += len(existing)
    fresh = [(key, item) for key, item in keyed.items() if key not in existing]
    if not fresh:
        return result

    duties = {duty.channel: duty for duty in ChannelDuty.objects.select_related("agent__department", "department")}
    numbers = _unused_tracking_numbers(len(fresh), now)
    version, policy = active_policy()
    batch_data = [item.data for _key, item in fresh]
    histories = BatchHistory(batch_data, policy, now)
    by_id = by.pk if by is not None else None
    rows, events, results, clocks = [], [], [], []
    suggestions = suggestions_for([item.data.text for _key, item in fresh])
    for (key, item), number, suggestion in zip(fresh, numbers, suggestions, strict=True):
        data = item.data
        assignment = first_assignment(by, data.channel, duties)
        owner_id = assignment.owner.pk if assignment.owner else None
        department_id = assignment.department.pk if assignment.department else None
        assessed = assess_with_model(facts_of(data), histories.next(data), policy, suggestion)
        values = risk_values(assessed, suggestion=suggestion)
        rows.append((*(getattr(data, name) for name in _RECORD_FIELDS), data.received_at or now, number,
                     owner_id, owner_id, department_id, source, by_id, key, Status.RECEIVED, now, now,
                     *(values[name] for name in RISK_FIELDS)))
        events.append((key, {"source": source, "channel": data.channel, "owner": owner_id,
                             "department": department_id, "origin": origin, "row": item.row,
                             "risk_level": assessed.risk_level.value,
                             "policy": f"{version.name} {version.version}"}))
        results.append((key, assessed, suggestion))
        clocks.append((key, data.received_at or now, values["risk_level"], values["emergency"], data.channel))
    try:
        with transaction.atomic():
            insert_rows(Complaint, _BATCH_COLUMNS, rows)
            ids = dict(rows_where_in(Complaint, "import_key", (key for key, _item in fresh), "import_key", "id"))
            record_many(
                ((ids[key], EventKind.IMPORTED, by_id, now, "", data) for key, data in events))
            insert_rows(RiskAssessment, ASSESSMENT_COLUMNS, (
                assessment_values(ids[key], version, r, trigger="intake", now=now, suggestion=suggestion)
                for key, r, suggestion in results))
            insert_rows(Deadline, DEADLINE_COLUMNS, intake_deadline_rows(
                ((ids[key], received, level, emergency, channel) for key, received, level, emergency, channel in clocks)))
            propose_emergencies(list(Complaint.objects.filter(
                pk__in=[ids[key] for key, r, _m in results if r.emergency]).only("id", "tracking_number", "text",
                                                                                  "department_id")), now=now)
        reassess_after_batch(lots=histories.lot_changes(), phones=histories.phone_changes(), now=now, by=by,
                             policy=(version, policy))
    except IntegrityError:
        # Another import of the same rows (or a tracking-number clash) won the race: fall back to
        # storing one at a time so each row is either stored once or counted as a duplicate.
        return _record_one_by_one(fresh, by=by, now=now, origin=origin, source=source, result=result, duties=duties)
    result.tracking_numbers.extend(numbers)
    return result


def _record_one_by_one(fresh: Iterable[tuple[str, BatchItem]], *, by: User | None, now: datetime, origin: str,
                       source: str, result: BatchResult, duties: dict[str, ChannelDuty]) -> BatchResult:
    for key, item in fresh:
        complaint = _complaint_from(item.data, assignment=first_assignment(by, item.data.channel, duties),
                                    by=by, source=source, now=now, import_key=key)
        for _attempt in range(_TRACKING_ATTEMPTS):
            complaint.tracking_number = new_tracking_number(now)
            complaint.pk = None
            try:
                with transaction.atomic():
                    complaint.save(force_insert=True)
                    _recorded_event(complaint, kind=EventKind.IMPORTED, by=by, now=now,
                                    extra={"origin": origin, "row": item.row}).save()
                    assess_complaint(complaint, now=now, trigger="intake", by=by)
                    after_intake(complaint, now=now)
                result.tracking_numbers.append(complaint.tracking_number)
                break
            except IntegrityError:
                if Complaint.objects.filter(import_key=key).exists():
                    result.duplicates += 1
                    break
    return result


class BatchHistory:
    """History for a batch of new complaints from a few aggregate queries instead of several per row:
    repeats of the same phone, and lot totals, counting both stored complaints and earlier rows."""

    def __init__(self, batch: Sequence[IntakeData], policy: Policy, now: datetime):
        since = now - timedelta(days=policy.repetition.window_days)
        phones = {d.phone for d in batch if d.phone}
        lots = {d.lot for d in batch if d.lot}
        self._phones: dict[str, int] = dict(
            Complaint.objects.filter(phone__in=phones, received_at__gte=since).values("phone")
            .annotate(n=Count("id")).values_list("phone", "n")) if phones else {}
        self._lots: dict[str, list[int]] = {
            lot: [delivered or 0, defective or 0] for lot, (delivered, defective) in lot_totals(lots).items()}
        self._phones_at_start = dict(self._phones)
        self._lots_at_start = {lot: tuple(totals) for lot, totals in self._lots.items()}

    def lot_changes(self) -> dict[str, tuple[tuple, tuple]]:
        """(delivered, defective) of each lot this batch touched, at its start and at its end."""
        return {lot: (self._lots_at_start.get(lot, (0, 0)), tuple(totals)) for lot, totals in self._lots.items()}

    def phone_changes(self) -> dict[str, tuple[int, int]]:
        """Complaints of each customer in the repeat window, at the start and at the end of the batch."""
        return {phone: (self._phones_at_start.get(phone, 0), n) for phone, n in self._phones.items()}

    def next(self, data: IntakeData) -> History:
        earlier = 0
        if data.phone:
            earlier = self._phones.get(data.phone, 0)
            self._phones[data.phone] = earlier + 1
        delivered = defective = None
        if data.lot:
            totals = self._lots.setdefault(data.lot, [0, 0])
            totals[0] += data.quantity_delivered or 0
            totals[1] += data.quantity_defective or 0
            delivered, defective = totals[0] or None, totals[1]
        return History(customer_earlier=earlier, lot_delivered=delivered, lot_defective=defective)


def _unused_tracking_numbers(count: int, now: datetime) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        wanted = count - len(numbers)
        candidates = {new_tracking_number(now) for _ in range(wanted)} - numbers
        taken = {number for (number,) in rows_where_in(Complaint, "tracking_number", candidates, "tracking_number")}
        numbers |= candidates - taken
    return list(numbers)
