"""What of a complaint's personal data a reader is shown (R-SEC-1). Fields (phone, email) follow the
role; the free text and the history are masked for everyone until the full record is opened, which only
a role with the view-personal-data capability may do (and which is logged, see actions/personal_data)."""

import copy
from collections.abc import Iterable

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.core.masking import mask_email, mask_phone, mask_text, mask_value


def may_see_personal_data(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.can(Capability.VIEW_PERSONAL_DATA))


def shown_phone(complaint: Complaint, user: User | None) -> str:
    return complaint.phone if may_see_personal_data(user) or not complaint.phone else mask_phone(complaint.phone)


def shown_email(complaint: Complaint, user: User | None) -> str:
    return complaint.email if may_see_personal_data(user) or not complaint.email else mask_email(complaint.email)


def shown_text(complaint: Complaint, *, full: bool) -> str:
    return complaint.text if full else mask_text(complaint.text)


def shown_events(events: Iterable[ComplaintEvent], *, full: bool) -> list[ComplaintEvent]:
    """The events as they may be shown: unsaved copies with note and data masked unless `full`."""
    if full:
        return list(events)
    shown = []
    for event in events:
        masked = copy.copy(event)
        masked.note, masked.data = mask_text(event.note), mask_value(event.data)
        shown.append(masked)
    return shown
