"""Personal data in free text (R-SEC-1, PIPL): find mainland mobile and landline numbers, resident ID
numbers (with their check digit), bank card numbers (with their Luhn digit) and email addresses, and mask
them the way people are used to reading (138****5678). Plain Python, no Django.

A digit run is judged whole: the digits either side of a match must not be digits too, so an order
number that happens to contain eleven digits starting with 13 is not cut in two. Masking is idempotent:
masked output holds no run that would be recognised again."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STAR = "*"

# Fields whose whole value is personal data, whatever it looks like (history rows keep old and new values).
PERSONAL_FIELDS = frozenset({"phone", "email", "id_number", "bank_card", "address", "customer_phone"})

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Found:
    kind: str  # "id_number", "bank_card", "mobile", "landline", "email"
    start: int
    end: int
    text: str


def id_number_is_valid(number: str) -> bool:
    """An 18-character resident ID whose last character is its ISO 7064 MOD 11-2 check digit."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_is_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_EDGE_L = r"(?<![0-9A-Za-z])"
_EDGE_R = r"(?![0-9A-Za-z])"
_ID = re.compile(_EDGE_L + r"\d{17}[\dXx]" + _EDGE_R)
_CARD = re.compile(_EDGE_L + r"(?:\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{13,19})" + _EDGE_R)
_MOBILE = re.compile(_EDGE_L + r"(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}" + _EDGE_R)
# Area codes start with 0 (010, 021, 0571 …); 400/800 service numbers are companies', not people's.
_LANDLINE = re.compile(_EDGE_L + r"(?:\(0\d{2,3}\)|0\d{2,3}[ -]?)\d{7,8}(?:-\d{1,5})?" + _EDGE_R)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

_PATTERNS: tuple[tuple[str, re.Pattern[str], Callable[[str], bool]], ...] = (
    ("email", _EMAIL, lambda s: True),
    ("id_number", _ID, id_number_is_valid),
    ("mobile", _MOBILE, lambda s: True),
    ("bank_card", _CARD, lambda s: 13 <= len(_digits(s)) <= 19 and luhn_is_valid(_digits(s))),
    ("landline", _LANDLINE, lambda s: True),
)


def find_personal_data(text: str) -> list[Found]:
    """Every piece of personal data in `text`, in order, none overlapping (the first kind above wins)."""
    taken: list[Found] = []
    for kind, pattern, valid in _PATTERNS:
        for match in pattern.finditer(text):
            if not valid(match.group()):
                continue
            if any(match.start() < f.end and f.start < match.end() for f in taken):
                continue
            taken.append(Found(kind, match.start(), match.end(), match.group()))
    return sorted(taken, key=lambda f: f.start)


def mask_phone(phone: str) -> str:
    """138****5678; a landline keeps its area code (010-****5678); short values become stars."""
    digits = _digits(phone)
    if len(digits) < 7:
        return STAR * len(phone)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if digits.startswith("0"):
        area = 3 if digits[1] in "12" else 4  # 010, 02x are three digits, the rest four
        return f"{digits[:area]}-{STAR * (len(digits) - area - 4)}{digits[-4:]}"
    return f"{digits[:3]}{STAR * (len(digits) - 7)}{digits[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return STAR * 3
    return f"{local[:1]}***@{domain}"


def mask_id_number(number: str) -> str:
    return f"{number[:3]}{STAR * 11}{number[-4:]}"


def mask_bank_card(card: str) -> str:
    digits = _digits(card)
    return f"{digits[:4]}{STAR * (len(digits) - 8)}{digits[-4:]}"


_MASKERS: dict[str, Callable[[str], str]] = {
    "email": mask_email, "id_number": mask_id_number, "bank_card": mask_bank_card,
    "mobile": mask_phone, "landline": mask_phone,
}


def mask_text(text: str) -> str:
    """`text` with every piece of personal data found in it masked; everything else unchanged."""
    if not text:
        return text
    pieces, last = [], 0
    for found in find_personal_data(text):
        pieces += [text[last:found.start], _MASKERS[found.kind](found.text)]
        last = found.end
    return "".join(pieces) + text[last:] if pieces else text


def mask_field(name: str, value: str) -> str:
    """A value of a field that is personal data as a whole (the complaint's phone, email …)."""
    if not value:
        return value
    if name == "email" or "@" in value:
        return mask_email(value)
    if name in ("phone", "customer_phone"):
        return mask_phone(value)
    if name == "id_number":
        return mask_id_number(value) if len(value) == 18 else STAR * len(value)
    if name == "bank_card":
        return mask_bank_card(value) if len(_digits(value)) >= 8 else STAR * len(value)
    return value[:1] + STAR * 3 if name == "address" else mask_text(value)


def mask_value(value: Any, field: str = "") -> Any:
    """Structured history data (dicts, lists, strings) with personal data masked: whole values under a
    personal field's key, found pieces anywhere else. Other values are returned as they are."""
    if isinstance(value, dict):
        return {k: mask_value(v, k if k in PERSONAL_FIELDS else field) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, field) for v in value]
    if isinstance(value, str):
        return mask_field(field, value) if field in PERSONAL_FIELDS else mask_text(value)
    return value


_PHONE_LENGTH_RUN = re.compile(r"\d[\d \-]{5,}\d")


def looks_like_personal_search(query: str) -> bool:
    """A search a masked role may not make: it names personal data (a phone, ID or card number, an
    email), or holds a run of seven or more digits, the length of a phone number without its area code."""
    if find_personal_data(query) or "@" in query:
        return True
    return any(len(_digits(run)) >= 7 for run in _PHONE_LENGTH_RUN.findall(query))
