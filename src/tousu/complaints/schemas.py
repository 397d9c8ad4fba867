from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from tousu.complaints.models import Complaint
from tousu.complaints.personal import may_see_personal_data
from tousu.core.masking import mask_email, mask_phone, mask_text, mask_value

# Set on the request by an endpoint that opened the full record (and logged it): text and history unmasked.
FULL_RECORD = "tousu_full_record"


def _may_see_personal_data(context) -> bool:
    request = (context or {}).get("request")
    return may_see_personal_data(getattr(request, "auth", None) or getattr(request, "user", None))


def _full_record(context) -> bool:
    return _may_see_personal_data(context) and getattr((context or {}).get("request"), FULL_RECORD, False)


class AttachmentOut(Schema):
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class EventOut(Schema):
    kind: str
    at: datetime
    actor: str | None
    note: str
    data: dict

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return obj.actor.username if obj.actor_id else None

    @staticmethod
    def resolve_note(obj, context) -> str:
        return obj.note if _full_record(context) else mask_text(obj.note)

    @staticmethod
    def resolve_data(obj, context) -> dict:
        return obj.data if _full_record(context) else mask_value(obj.data)


class ComplaintOut(Schema):
    tracking_number: str
    status: str
    channel: str
    received_at: datetime
    text: str
    customer_name: str
    phone: str
    email: str
    customer_level: str
    company: str
    demand: str
    product: str
    order_no: str
    lot: str
    quantity_delivered: int | None
    quantity_defective: int | None
    defect_rate: float | None
    region: str
    amount: Decimal | None
    external_id: str
    source: str
    risk_level: str
    assessed_level: str
    severity_grade: int | None
    priority: str
    emergency: bool
    complaint_type: str
    defect_grade: str
    possible_high_risk: bool
    owner: str | None
    first_owner: str | None
    department: str | None
    created_at: datetime

    @staticmethod
    def resolve_text(obj: Complaint, context) -> str:
        return obj.text if _full_record(context) else mask_text(obj.text)

    @staticmethod
    def resolve_phone(obj: Complaint, context) -> str:
        return obj.phone if _may_see_personal_data(context) else mask_phone(obj.phone) if obj.phone else ""

    @staticmethod
    def resolve_email(obj: Complaint, context) -> str:
        return obj.email if _may_see_personal_data(context) else mask_email(obj.email) if obj.email else ""

    @staticmethod
    def resolve_owner(obj: Complaint) -> str | None:
        return obj.owner.username if obj.owner_id else None

    @staticmethod
    def resolve_first_owner(obj: Complaint) -> str | None:
        return obj.first_owner.username if obj.first_owner_id else None

    @staticmethod
    def resolve_department(obj: Complaint) -> str | None:
        return obj.department.code if obj.department_id else None


class ComplaintDetailOut(ComplaintOut):
    attachments: list[AttachmentOut]
    events: list[EventOut]

    @staticmethod
    def resolve_attachments(obj: Complaint) -> list:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_events(obj: Complaint) -> list:
        return list(obj.events.select_related("actor"))


class FieldErrorOut(Schema):
    field: str
    reason: str


class ErrorOut(Schema):
    errors: list[FieldErrorOut]


class ImportJobOut(Schema):
    id: int
    file: str = Field(alias="original_name")
    state: str  # queued, running, done, failed
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    percent: int | None  # how far the file has been read, where it can be told
    created: int
    duplicates: int
    error_count: int
    errors: list[dict[str, Any]]  # {row, column, reason}: the first 1,000
    ignored_columns: list[str]
    tracking_numbers: list[str]  # the first 50 complaints created
    failure: str
