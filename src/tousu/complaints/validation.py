"""The one set of rules every intake path validates a complaint with.

The API takes `IntakeData` as its request schema; the entry form, the public page, the importers and
email intake build it from their own input. Errors come back as (field, reason) pairs in the active
language.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tousu.complaints.choices import (
    CHANNEL_ALIASES,
    CUSTOMER_LEVEL_ALIASES,
    DEMAND_ALIASES,
    Channel,
    CustomerLevel,
    Demand,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_TEXT_LENGTH = 20_000
MAX_AMOUNT = Decimal("1000000000000")
# Clocks of exporting systems drift; a complaint "received" a little in the future is still accepted.
FUTURE_TOLERANCE = timedelta(minutes=10)

_PHONE_JUNK = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
_SERVICE_NUMBER = re.compile(r"^[48]00\d{7}$")
_AMOUNT_JUNK = re.compile(r"[,，\s¥￥]|元|人民币|RMB|CNY", re.IGNORECASE)
_QUANTITY_JUNK = re.compile(r"[,，\s]|件|个|只|套|pcs|PCS")
_DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日 %H时%M分",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d")
# Characters no complaint needs and not every database stores: PostgreSQL refuses NUL, and a lone
# surrogate (JSON can write "\ud800") cannot be encoded at all. Tab, newline and carriage return are text.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class IntakeError(ValueError):
    """Input that cannot be stored; `errors` names each field and the reason."""

    def __init__(self, errors: list["FieldError"]):
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


def normalise_phone(raw: str) -> str:
    digits = _PHONE_JUNK.sub("", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


_ALLOWED: dict[type, frozenset[str]] = {}


def _choice(value: Any, choices: type, aliases: dict[str, str], field_label: Any) -> str:
    """`field_label` is lazy: it is translated only for an error, not for every valid row."""
    allowed = _ALLOWED.get(choices)
    if allowed is None:
        allowed = _ALLOWED[choices] = frozenset(choices.values)
    text = str(value).strip()
    if text in allowed:
        return text
    lowered = text.lower()
    if lowered in allowed:
        return lowered
    if text in aliases:
        return aliases[text]
    raise ValueError(_("unknown %(field)s %(value)r; use one of: %(allowed)s")
                     % {"field": field_label, "value": text, "allowed": ", ".join(choices.values)})


class IntakeData(BaseModel):
    """A complaint as it arrives. Only `text` is required."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    text: str = Field(description="Full original text of the complaint (投诉内容)")
    channel: str = Field(default=Channel.WEB, description="One of: " + ", ".join(Channel.values))
    received_at: datetime | None = Field(default=None, description="When it was received; default now")
    customer_name: str = Field(default="", max_length=100, description="Blank for an anonymous customer")
    phone: str = Field(default="", description="Mainland mobile or landline number")
    email: str = Field(default="", max_length=200)
    customer_level: str = Field(default=CustomerLevel.REGULAR, description="regular, vip or key_account")
    company: str = Field(default="", max_length=200)
    demand: str = Field(default="", description="One of: " + ", ".join(Demand.values))
    product: str = Field(default="", max_length=200)
    order_no: str = Field(default="", max_length=100)
    lot: str = Field(default="", max_length=100)
    quantity_delivered: int | None = Field(default=None, ge=0, le=2_000_000_000)
    quantity_defective: int | None = Field(default=None, ge=0, le=2_000_000_000)
    region: str = Field(default="", max_length=100)
    amount: Decimal | None = Field(default=None, description="Money involved in yuan")
    external_id: str = Field(default="", max_length=100, description="Id in the exporting system")

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if _blank(value):
            raise ValueError(_("the complaint text is empty"))
        if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise ValueError(_("longer than %(max)d characters") % {"max": MAX_TEXT_LENGTH})
        return value

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, value: Any) -> Any:
        if _blank(value):
            return Channel.WEB
        return _choice(value, Channel, CHANNEL_ALIASES, gettext_lazy("channel"))

    @field_validator("demand", mode="before")
    @classmethod
    def _demand(cls, value: Any) -> Any:
        if _blank(value):
            return ""
        return _choice(value, Demand, DEMAND_ALIASES, gettext_lazy("demand"))

    @field_validator("customer_level", mode="before")
    @classmethod
    def _customer_level(cls, value: Any) -> Any:
        if _blank(value):
            return CustomerLevel.REGULAR
        return _choice(value, CustomerLevel, CUSTOMER_LEVEL_ALIASES, gettext_lazy("customer level"))

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> Any:
        if _blank(value):
            return ""
        if isinstance(value, int | float):
            value = str(int(value))
        digits = normalise_phone(str(value))
        if not (_MOBILE.match(digits) or _LANDLINE.match(digits) or _SERVICE_NUMBER.match(digits)):
            raise ValueError(_("%(value)r is not a mainland mobile or landline number") % {"value": str(value)})
        return digits

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        if _blank(value):
            return ""
        text = str(value).strip()
        try:
            validate_email(text)
        except DjangoValidationError:
            raise ValueError(_("%(value)r is not an email address") % {"value": text}) from None
        return text.lower()

    @field_validator("received_at", mode="before")
    @classmethod
    def _received_at(cls, value: Any, info: ValidationInfo) -> Any:
        if _blank(value):
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(_("%(value)r is not a date and time such as 2026-11-20 14:30") % {"value": str(value)})
        now = (info.context or {}).get("now") or datetime.now(SHANGHAI)
        if parsed > now + FUTURE_TOLERANCE:
            raise ValueError(_("is in the future"))
        return parsed

    @field_validator("quantity_delivered", "quantity_defective", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(_("%(value)r is not a whole number") % {"value": value})
            return int(value)
        if isinstance(value, str):
            cleaned = _QUANTITY_JUNK.sub("", value)
            if not cleaned.isdigit():
                raise ValueError(_("%(value)r is not a whole number") % {"value": value})
            return int(cleaned)
        return value

    @field_validator("amount", mode="before")
    @classmethod
    def _amount(cls, value: Any) -> Any:
        if _blank(value):
            return None
        if isinstance(value, int | float):
            value = str(value)
        if isinstance(value, str):
            cleaned = _AMOUNT_JUNK.sub("", value)
            multiplier = Decimal(1)
            if cleaned.endswith("万"):
                cleaned, multiplier = cleaned[:-1], Decimal(10_000)
            try:
                value = Decimal(cleaned) * multiplier
            except InvalidOperation:
                raise ValueError(_("%(value)r is not an amount of money") % {"value": value}) from None
        if not isinstance(value, Decimal):  # a JSON object or list
            raise ValueError(_("is not an amount of money"))
        if not value.is_finite():
            raise ValueError(_("%(value)r is not an amount of money") % {"value": str(value)})
        if value < 0:
            raise ValueError(_("must not be negative"))
        if value >= MAX_AMOUNT:
            raise ValueError(_("is implausibly large"))
        value = value.quantize(Decimal("0.01"))
        if value >= MAX_AMOUNT:  # 999,999,999,999.995 rounds up to a trillion, more than the column holds
            raise ValueError(_("is implausibly large"))
        return value

    @field_validator("quantity_defective", mode="after")
    @classmethod
    def _not_more_defective_than_delivered(cls, value: int | None, info: ValidationInfo) -> int | None:
        delivered = info.data.get("quantity_delivered")
        if value is not None and delivered is not None and value > delivered:
            raise ValueError(_("more defective (%(defective)d) than delivered (%(delivered)d)")
                             % {"defective": value, "delivered": delivered})
        return value

    # Defined last so that it runs first, on the value as it came: pydantic runs the "before" validators
    # of a field from the last defined to the first.
    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if isinstance(value, str) and (found := _UNSTORABLE.search(value)):
            raise ValueError(_("contains an invisible character that cannot be stored (U+%(code)04X, "
                               "character %(position)d); remove it")
                             % {"code": ord(found.group()), "position": found.start() + 1})
        return value


def parse_datetime(value: Any) -> datetime | None:
    """A date-time from ISO text, common Chinese spellings, a date alone, or an Excel cell; naive → Shanghai."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    else:
        text = str(value).strip()
        parsed = None
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            for fmt in _DATETIME_FORMATS:
                try:
                    parsed = datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            if parsed is None:
                for fmt in _DATE_FORMATS:
                    try:
                        parsed = datetime.strptime(text, fmt)
                        break
                    except ValueError:
                        continue
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed


_MESSAGES_BY_TYPE = {
    "missing": lambda: _("this field is required"),
    "extra_forbidden": lambda: _("unknown field"),
    "string_too_long": lambda: _("too long"),
    "string_type": lambda: _("must be text"),
    "int_parsing": lambda: _("must be a whole number"),
    "int_type": lambda: _("must be a whole number"),
    "int_from_float": lambda: _("must be a whole number"),
    "greater_than_equal": lambda: _("must not be negative"),
    "less_than_equal": lambda: _("is implausibly large"),
    "datetime_parsing": lambda: _("is not a date and time such as 2026-11-20 14:30"),
    "datetime_type": lambda: _("is not a date and time such as 2026-11-20 14:30"),
    "decimal_parsing": lambda: _("is not an amount of money"),
    "model_type": lambda: _("the request body must be a JSON object"),
}


def describe(raw_errors: list[Any]) -> list[FieldError]:
    """Pydantic's errors (`exc.errors()`) as (field, reason) in the active language."""
    errors: list[FieldError] = []
    for error in raw_errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload")]
        field = loc[-1] if loc else ""
        message = error.get("msg", "")
        if error["type"] == "value_error":
            reason = message.removeprefix("Value error, ")
        elif error["type"] in _MESSAGES_BY_TYPE:
            reason = _MESSAGES_BY_TYPE[error["type"]]()
        else:
            reason = message
        errors.append(FieldError(field or "__all__", reason))
    return errors


def validate_intake(data: dict[str, Any], *, now: datetime) -> IntakeData:
    """IntakeData from a plain dict, or IntakeError naming every bad field."""
    try:
        return IntakeData.model_validate(data, context={"now": now})
    except ValidationError as exc:
        raise IntakeError(describe(exc.errors())) from None
