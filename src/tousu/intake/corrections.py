"""Correcting or completing a complaint's facts after intake (lot quantities, product, amount …): validated
by the intake rules, recorded before and after, then the same steps as an arrival — re-assess the
complaint and the neighbours whose counts crossed a threshold, and apply what changed."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.assessments.actions import assess_complaint, reassess_many, reassess_related
from tousu.complaints import events
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError, validate_intake
from tousu.intake import consequences

# The original text, channel and time of receipt are the record of what arrived and never change.
EDITABLE_FIELDS = ("customer_name", "phone", "email", "customer_level", "company", "demand", "product",
                   "order_no", "lot", "quantity_delivered", "quantity_defective", "region", "amount")
_IMMUTABLE = ("text", "channel", "received_at")


def change_facts(complaint: Complaint, changes: dict[str, Any], *, by: User, now: datetime) -> dict[str, list]:
    """Validate the changed fields with the intake rules, store them with a before/after event, and
    re-assess this complaint and the open complaints whose assessment reads these facts."""
    errors = [FieldError(name, _("this field cannot be changed after intake")) for name in changes
              if name in _IMMUTABLE]
    errors += [FieldError(name, _("unknown field")) for name in changes
               if name not in EDITABLE_FIELDS and name not in _IMMUTABLE]
    if errors:
        raise IntakeError(errors)
    current = {name: getattr(complaint, name) for name in (*EDITABLE_FIELDS, *_IMMUTABLE)}
    current["received_at"] = None  # already accepted at intake; not re-checked against `now`
    validated = validate_intake({**current, **changes}, now=now)
    diff = {}
    for name in changes:
        before, after = getattr(complaint, name), getattr(validated, name)
        if before != after:
            diff[name] = [_plain(before), _plain(after)]
    if not diff:
        return {}
    quantities_before = (complaint.quantity_delivered, complaint.quantity_defective)
    lot_before = complaint.lot
    with transaction.atomic():
        for name in diff:
            setattr(complaint, name, getattr(validated, name))
        complaint.updated_at = now
        complaint.save(update_fields=[*diff, "updated_at"])
        events.fields_changed(complaint.pk, by=by, at=now, changes=diff)
        done = assess_complaint(complaint, now=now, trigger="facts_changed", by=by, only_if_changed=True)
        if "lot" in diff and lot_before:
            # the old lot lost this complaint's quantities: re-assess its open complaints too
            done += reassess_many([(other, "lot_changed") for other in
                                   Complaint.objects.filter(lot=lot_before).exclude(status__in=ENDED)], now=now, by=by)
        done += reassess_related(complaint, now=now, by=by,
                                 quantities_before=(None, None) if "lot" in diff else quantities_before)
        consequences.apply(done.changes, now=now)
    return diff


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)
