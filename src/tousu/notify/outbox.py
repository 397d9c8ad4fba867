"""Putting notifications in the outbox: rows first, delivery after the transaction commits."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.core.bulk import rows_where_in
from tousu.notify.models import Notification, WebhookEndpoint


def active_webhooks() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(active=True))


def build(*, key: str, kind: str, subject: str, body: str, recipients: Iterable[User], now: datetime,
          complaint: Complaint | None = None, hooks: Sequence[WebhookEndpoint] = (),
          addresses: Iterable[str] = ()) -> list[Notification]:
    """One email per recipient with an address, one per extra address (the customer), one message per
    chat webhook of the complaint's department or of every department."""
    rows = []
    common = {"kind": kind, "subject": subject[:200], "body": body, "complaint": complaint,
              "next_attempt_at": now, "created_at": now}
    for user in {u.pk: u for u in recipients if u is not None}.values():
        if user.email and user.is_active:
            rows.append(Notification(key=f"{key}:email:{user.pk}", channel=Notification.Channel.EMAIL,
                                     recipient=user, address=user.email, **common))
    for address in addresses:
        rows.append(Notification(key=f"{key}:email:{address}", channel=Notification.Channel.EMAIL, address=address,
                                 **common))
    department_id = complaint.department_id if complaint is not None else None
    for hook in hooks:
        if hook.department_id is None or hook.department_id == department_id:
            rows.append(Notification(key=f"{key}:hook:{hook.pk}", channel=Notification.Channel.WEBHOOK, webhook=hook,
                                     address=hook.url, **common))
    return rows


def store(rows: Sequence[Notification]) -> int:
    """Insert the rows whose key is new; calling it again with the same keys adds nothing, so a sweep
    run twice (or by two workers) notifies once."""
    if not rows:
        return 0
    existing = {key for (key,) in rows_where_in(Notification, "key", (r.key for r in rows), "key")}
    fresh = [r for r in rows if r.key not in existing]
    Notification.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    if fresh:
        transaction.on_commit(_schedule_delivery, robust=True)  # the periodic delivery catches up
    return len(fresh)


def enqueue(*, key: str, kind: str, subject: str, body: str, recipients: Iterable[User], now: datetime,
            complaint: Complaint | None = None, webhooks: bool = True, addresses: Iterable[str] = ()) -> int:
    return store(build(key=key, kind=kind, subject=subject, body=body, recipients=recipients, now=now,
                       complaint=complaint, hooks=active_webhooks() if webhooks else (), addresses=addresses))


def _schedule_delivery() -> None:
    from tousu.notify.tasks import deliver_due_task

    deliver_due_task()
