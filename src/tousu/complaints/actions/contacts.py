from datetime import datetime

from tousu.accounts.models import User
from tousu.complaints import events
from tousu.complaints.models import Complaint, ComplaintEvent


def log_contact(complaint: Complaint, *, by: User | None, channel: str, note: str, now: datetime,
                direction: str = "outbound", data: dict | None = None) -> ComplaintEvent:
    """Record one contact with the customer (a call, a message, a reply mail) in the history."""
    return events.contact(complaint.pk, by=by, at=now, note=note, channel=channel, direction=direction,
                          **(data or {}))
