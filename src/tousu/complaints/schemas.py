import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, ConfigDict, StringConstraints

from tousu.complaints.choices import (
    CHANNEL_ALIASES,
    CUSTOMER_LEVEL_ALIASES,
    DEMAND_ALIASES,
    Channel,
    CustomerLevel,
    Demand,
)
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
        if "events" in getattr(obj, "_prefetched_objects_cache", {}):  # fetched with others (group intake)
            return list(obj.events.all())
        return list(obj.events.select_related("actor"))


class FieldErrorOut(Schema):
    field: str
    reason: str


class ErrorOut(Schema):
    errors: list[FieldErrorOut]


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers of an operation, all in one shape: 401 (no valid token) for every operation,
    and the statuses it names: 403 (the role may not), 404 (no such object), 409 (not possible in the
    object's present state), 422 (the request names a bad field)."""
    return {401: ErrorOut, **{status: ErrorOut for status in statuses}}


# Request schemas publish exactly what their validation accepts, so that a client (and the fuzzer) can
# trust them: codes as enums, lengths and formats as constraints, no unknown fields. Patterns are
# checked with Python's `re`, the engine JSON Schema generators use too. Constraints come before a
# field's own validator, so that they reach the published schema as minimum, maximum and pattern.
STRICT = ConfigDict(extra="forbid", regex_engine="python-re")

# Characters no text needs and not every database stores (PostgreSQL refuses NUL); tab, newline and
# carriage return are text. The same set intake refuses (a lone surrogate too, which JSON can carry).
_UNSTORABLE = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
_UNSTORABLE_CHARACTER = re.compile(f"[{_UNSTORABLE}\\ud800-\\udfff]")
STORABLE_PATTERN = f"^[^{_UNSTORABLE}]*$"
NOT_BLANK_PATTERN = f"^[^{_UNSTORABLE}]*[^\\s{_UNSTORABLE}][^{_UNSTORABLE}]*$"
# A mainland mobile, landline or 400/800 number, digits with single spaces or hyphens between them.
PHONE_PATTERN = (r"^(|(\+86|0086)?[ -]?(1[3-9]([ -]?[0-9]){9}|0([ -]?[0-9]){9,11}"
                 r"|[48][ -]?0[ -]?0([ -]?[0-9]){7}))$")
# The common form of an address that Django's email validator accepts (dot-atom local part, a domain
# of letters, digits and inner hyphens, a top-level domain of letters).
EMAIL_PATTERN = (r"^(|[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*@"
                 r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})$")
# A quantity as text: digits (with thousands separators), a unit word may follow: `1,200件`.
QUANTITY_PATTERN = r"^([0-9]{1,9}|[0-9]{1,3}(,[0-9]{3}){1,2})(件|个|只|套|pcs|PCS)?$"
# An amount as text: yuan and fen, below a trillion (what the amount column holds).
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
# Mainland local time without an offset, as agents and exports write it: `2026-11-20 14:30[:00]`, since 1970.
LOCAL_TIME_PATTERN = (r"^(19[7-9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]) "
                      r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")
# What a pattern means, for the error that names the field.
PATTERN_HINTS = {
    "phone": gettext_lazy("a mainland mobile or landline number such as 13812345678, 138-1234-5678 or "
                          "021-12345678"),
    "email": gettext_lazy("an email address such as name@example.com"),
    "amount": gettext_lazy("an amount in yuan such as 199 or 199.50"),
    "quantity_delivered": gettext_lazy("a whole number such as 1200, 1,200 or 1200件"),
    "quantity_defective": gettext_lazy("a whole number such as 1200, 1,200 or 1200件"),
    "received_at": gettext_lazy("a date and time such as 2026-11-20 14:30 or 2026-11-20T14:30:00+08:00"),
}


def _storable(value: Any) -> Any:
    if isinstance(value, str) and (found := _UNSTORABLE_CHARACTER.search(value)):
        raise ValueError(_("contains an invisible character that cannot be stored (U+%(code)04X, "
                           "character %(position)d); remove it")
                         % {"code": ord(found.group()), "position": found.start() + 1})
    return value


def Text(max_length: int, *, required: bool = False) -> Any:  # noqa: N802 - reads as a type
    """A text field: storable characters, at most `max_length`; `required`: not blank either."""
    return Annotated[str, StringConstraints(max_length=max_length, min_length=1 if required else None,
                                            pattern=NOT_BLANK_PATTERN if required else STORABLE_PATTERN),
                     BeforeValidator(_storable)]


ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, not as numbers (which pydantic would read as a Unix time)."""
    if value is not None and not (isinstance(value, str) and ISO_DATE.match(value)):
        raise ValueError(_("is not a date such as 2026-12-31 (with a time: 2026-11-20T14:30:00+08:00)"))
    return value


def _whole_number(value: Any) -> Any:
    """JSON integers (2027 and 2027.0 alike), not text or true/false, which pydantic would read as numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("must be a whole number"))
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(_("must be a number"))
    return value


# A day (`2026-12-31`) and an instant with its offset (`2026-11-20T14:30:00+08:00`), as text.
Day = Annotated[date, BeforeValidator(_iso_text)]
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


def _since_1970(value: datetime) -> datetime:
    # Earlier mainland times carry the local mean time offset (+08:05:43), which no RFC 3339 answer can
    # give back; no complaint is that old.
    if value.year < 1970:
        raise ValueError(_("is before 1970"))
    return value


ReceivedAt = Annotated[Instant, AfterValidator(_since_1970)]
LocalTime = Annotated[str, StringConstraints(pattern=LOCAL_TIME_PATTERN)]
QuantityNumber = Annotated[int, Field(ge=0, le=2_000_000_000), BeforeValidator(_whole_number)]
QuantityText = Annotated[str, StringConstraints(pattern=QUANTITY_PATTERN)]
Quantity = QuantityNumber | QuantityText
# Database identifiers (64-bit).
Id = Annotated[int, Field(ge=1, le=2**63 - 1), BeforeValidator(_whole_number)]
AmountNumber = Annotated[float, Field(ge=0, le=999_999_999_999.99), BeforeValidator(_number)]
AmountText = Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)]
Phone = Annotated[str, StringConstraints(pattern=PHONE_PATTERN, max_length=30)]
Email = Annotated[str, StringConstraints(pattern=EMAIL_PATTERN, max_length=200)]
# Codes, or the Chinese words imports and forms take for them.
ChannelCode = Literal[(*Channel.values, *CHANNEL_ALIASES)]  # type: ignore[valid-type]
DemandCode = Literal[("", *Demand.values, *DEMAND_ALIASES)]  # type: ignore[valid-type]
CustomerLevelCode = Literal[(*CustomerLevel.values, *(a for a in CUSTOMER_LEVEL_ALIASES  # type: ignore[valid-type]
                                                        if a not in CustomerLevel.values))]


class _Facts(Schema):
    """The facts of a complaint other than its text, channel and time of receipt."""

    model_config = STRICT

    customer_name: Text(100) = Field(default="", description="Blank for an anonymous customer")
    phone: Phone = ""
    email: Email = ""
    customer_level: CustomerLevelCode = CustomerLevel.REGULAR.value
    company: Text(200) = ""
    demand: DemandCode = ""
    product: Text(200) = ""
    order_no: Text(100) = ""
    lot: Text(100) = ""
    quantity_delivered: Quantity | None = None
    quantity_defective: Quantity | None = None
    region: Text(100) = ""
    amount: AmountNumber | AmountText | None = Field(default=None, description="Money involved, in yuan")


class ComplaintIn(_Facts):
    """A complaint as it arrives through the API. Only `text` is required. Checked further as every
    intake path is: received_at not in the future, no more defective than delivered."""

    text: Text(20_000, required=True) = Field(description="Full original text of the complaint (投诉内容)")
    channel: ChannelCode = Channel.WEB.value
    received_at: ReceivedAt | LocalTime | None = Field(
        default=None, description="When it was received, with its offset or in mainland time; default now")
    external_id: Text(100) = Field(default="", description="Id in the exporting system")


class FactsIn(_Facts):
    """Facts to correct or complete after intake; only the fields sent change. The original text,
    channel and time of receipt are the record of what arrived and cannot change."""



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
