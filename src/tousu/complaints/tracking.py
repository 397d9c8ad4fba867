"""Tracking numbers: short, readable over the phone, not guessable in sequence.

`TS` + year and month + `-` + five random characters from an alphabet without look-alikes
(no 0/O, 1/I/L, U), e.g. `TS2611-7K4Q9`: 30^5 ≈ 24 million per month.
"""

import re
import secrets
from datetime import datetime

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 5
PATTERN = re.compile(rf"^TS\d{{4}}-[{ALPHABET}]{{{RANDOM_LENGTH}}}$")


_BASE = len(ALPHABET)
_SPACE = _BASE**RANDOM_LENGTH
_UNBIASED_LIMIT = (2**40 // _SPACE) * _SPACE


def new_tracking_number(at: datetime) -> str:
    # One draw from the OS's CSPRNG per number; values past the last whole multiple of the space are
    # drawn again so every tail is equally likely.
    value = secrets.randbits(40)
    while value >= _UNBIASED_LIMIT:
        value = secrets.randbits(40)
    value %= _SPACE
    tail = []
    for _ in range(RANDOM_LENGTH):
        value, digit = divmod(value, _BASE)
        tail.append(ALPHABET[digit])
    return f"TS{at:%y%m}-{''.join(tail)}"


def normalise(raw: str) -> str:
    """Accept what a customer reads back: lower case, spaces, a missing dash, letter O for zero in the date."""
    cleaned = re.sub(r"[\s\-_]", "", raw.strip().upper())
    if len(cleaned) == 6 + RANDOM_LENGTH and cleaned.startswith("TS"):
        head = cleaned[:6].replace("O", "0")
        return f"{head}-{cleaned[6:]}"
    return cleaned


def is_valid(number: str) -> bool:
    return bool(PATTERN.match(number))
