"""R-SEC-1: complaint text and history are shown masked; opening the full record, with its personal data,
is an explicit step of a role that may see personal data, and it is written into the history."""

from datetime import datetime

from django.db import transaction

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint, ComplaintEvent


def open_full_record(complaint: Complaint, *, by: User, now: datetime, via: str) -> ComplaintEvent:
    """Record that `by` opened `complaint` unmasked, through `via` ("page" or "api")."""
    if not by.can(Capability.VIEW_PERSONAL_DATA):
        raise AccessDenied("this role may not see personal data")
    with transaction.atomic():
        return events.personal_data_viewed(complaint.pk, by=by, at=now, via=via)
