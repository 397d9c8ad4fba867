"""A repeat complaint and the first one about the same matter: which facts are new, and whether it falls
inside the first one's handling period (banking rules: a repeat with no new facts inside the period is
merged; new facts restart the clock). Plain Python, no Django."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Facts:
    """What a complaint states besides its text; blank or None where it states nothing."""

    order_no: str = ""
    product: str = ""
    lot: str = ""
    amount: Decimal | None = None
    demand: str = ""
    quantity_delivered: int | None = None
    quantity_defective: int | None = None
    attachments: frozenset[str] = field(default_factory=frozenset)  # content hashes


def new_facts(first: Facts, repeat: Facts, fields: list[str] | tuple[str, ...]) -> dict[str, object]:
    """The facts the repeat gives that the first did not: a field given and different, or attachments
    not already on the first. A field the repeat leaves blank is no new fact."""
    found: dict[str, object] = {}
    for name in fields:
        given, before = getattr(repeat, name), getattr(first, name)
        if name == "attachments":
            added = sorted(given - before)
            if added:
                found[name] = added
        elif given not in (None, "") and given != before:
            found[name] = str(given)
    return found


def inside_period(received_at: datetime, period_due: datetime | None, *, period_paused: bool) -> bool:
    """A repeat is inside the first one's handling period while its clock runs (or is paused) and has not
    passed its due time."""
    if period_paused:
        return True
    return period_due is not None and received_at <= period_due
