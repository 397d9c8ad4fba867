from datetime import datetime

from tousu.accounts.models import User
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent


def log_contact(complaint: Complaint, *, by: User | None, channel: str, note: str, now: datetime,
                direction: str = "outbound", data: dict | None = None) -> ComplaintEvent:
    """Record one contact with the customer (a call, a message, a reply mail) in the history."""
    return ComplaintEvent.objects.create(
        complaint=complaint, kind=EventKind.CONTACT, actor=by, at=now, note=note,
        data={"channel": channel, "direction": direction, **(data or {})},
    )
