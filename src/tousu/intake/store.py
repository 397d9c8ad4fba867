"""Storing a new complaint: its first owner (首问负责), its tracking number and its row, one at a time or
in bulk. Once `insert_one` returns (inside the caller's transaction), the tracking number is the
complaint's."""

import enum
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.complaints.models import ChannelDuty, Complaint
from tousu.complaints.tracking import new_tracking_number
from tousu.complaints.validation import IntakeData
from tousu.core.bulk import rows_where_in

RECORD_FIELDS = (
    "customer_name", "phone", "email", "customer_level", "company", "channel", "text", "demand",
    "product", "order_no", "lot", "quantity_delivered", "quantity_defective", "region", "amount",
    "external_id",
)
_TRACKING_ATTEMPTS = 8


@dataclass(frozen=True)
class Assignment:
    owner: User | None
    department: Department | None


def channel_duties() -> dict[str, ChannelDuty]:
    return {duty.channel: duty for duty in ChannelDuty.objects.select_related("agent__department", "department")}


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


def new_complaint(data: IntakeData, *, assignment: Assignment, by: User | None, source: str, now: datetime,
                  import_key: str | None = None) -> Complaint:
    values = {name: getattr(data, name) for name in RECORD_FIELDS}
    return Complaint(**values, received_at=data.received_at or now, owner=assignment.owner,
                     first_owner=assignment.owner, department=assignment.department, source=source,
                     recorded_by=by, import_key=import_key, created_at=now, updated_at=now)


def insert_one(complaint: Complaint, now: datetime) -> bool:
    """Insert with a fresh tracking number, drawing again on the rare clash. False when the complaint's
    import key is stored already (the same row imported twice): nothing was inserted."""
    for _attempt in range(_TRACKING_ATTEMPTS):
        complaint.pk = None
        complaint.tracking_number = new_tracking_number(now)
        try:
            with transaction.atomic():
                complaint.save(force_insert=True)
            return True
        except IntegrityError:
            if complaint.import_key and Complaint.objects.filter(import_key=complaint.import_key).exists():
                return False
            if not Complaint.objects.filter(tracking_number=complaint.tracking_number).exists():
                raise
    raise RuntimeError("could not allocate a tracking number")  # pragma: no cover - 8 clashes in 24 million


def unused_tracking_numbers(count: int, now: datetime) -> list[str]:
    numbers: set[str] = set()
    while len(numbers) < count:
        candidates = {new_tracking_number(now) for _ in range(count - len(numbers))} - numbers
        taken = {number for (number,) in rows_where_in(Complaint, "tracking_number", candidates, "tracking_number")}
        numbers |= candidates - taken
    return list(numbers)


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


def stored_keys(keys: Iterable[str]) -> set[str]:
    return {key for (key,) in rows_where_in(Complaint, "import_key", keys, "import_key")}


_FIELDS = Complaint._meta.concrete_fields
_ATTNAMES = [field.attname for field in _FIELDS]
_PLAIN, _TIME, _AMOUNT, _GIVEN_PK, _DEFAULT = range(5)
_plans: dict[tuple[str, ...], list[tuple[int, int, Any]]] = {}


def as_stored(pk: int, columns: Sequence[str], row: Sequence[Any], related: Mapping[str, models.Model | None]
              ) -> Complaint:
    """The complaint `insert_rows(Complaint, columns, [row])` stored as `pk`, as reading it back would give it
    (times in UTC, amounts to the column's decimal places, codes as plain text, the columns not given at
    their defaults), with the `related` objects (owner, department …) attached: the batch needs its new
    complaints as objects, and has every value at hand already."""
    plan = _plans.get(tuple(columns))
    if plan is None:
        plan = _plans[tuple(columns)] = _plan(columns)
    values = []
    for kind, index, extra in plan:
        if kind == _DEFAULT:
            values.append(extra)
            continue
        value = pk if kind == _GIVEN_PK else row[index]
        if value is None:
            values.append(None)
        elif kind == _TIME:
            values.append(value if value.tzinfo is UTC else value.astimezone(UTC))
        elif kind == _AMOUNT:
            values.append(Decimal(value).quantize(extra[0], context=extra[1]))
        elif isinstance(value, enum.Enum):
            values.append(value.value)
        else:
            values.append(value.pk if isinstance(value, models.Model) else value)
    complaint = Complaint.from_db(DEFAULT_DB_ALIAS, _ATTNAMES, values)
    cache = complaint._state.fields_cache
    for name, obj in related.items():
        cache[name] = obj
    return complaint


def _plan(columns: Sequence[str]) -> list[tuple[int, int, Any]]:
    """How to fill each concrete field from a row of `columns`: (kind, index in the row, extra)."""
    index = {name: i for i, name in enumerate(columns)}
    plan: list[tuple[int, int, Any]] = []
    for field in _FIELDS:
        if field.primary_key:
            plan.append((_GIVEN_PK, -1, None))
        elif field.name not in index:
            plan.append((_DEFAULT, -1, field.get_default()))
        elif isinstance(field, models.DateTimeField):
            plan.append((_TIME, index[field.name], None))
        elif isinstance(field, models.DecimalField):
            plan.append((_AMOUNT, index[field.name], (Decimal(1).scaleb(-field.decimal_places), field.context)))
        else:
            plan.append((_PLAIN, index[field.name], None))
    return plan
