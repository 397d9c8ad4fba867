"""Delivering the outbox: claim a row with a conditional UPDATE (two workers never take the same row),
send it, mark it sent; on failure retry with back-off. A worker killed mid-send leaves a claim that
expires; the row is then sent again carrying the same idempotency key (email Message-ID, webhook
`Idempotency-Key` header), which is how receivers recognise the repeat."""

import hashlib
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q

from tousu.notify.models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1 min, 2, 4, 8 … capped at 2 hours."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 7200))


def claim(pk: int, now: datetime) -> Notification | None:
    claim_for = timedelta(seconds=settings.TOUSU_NOTIFY_CLAIM_SECONDS)
    updated = (Notification.objects.filter(pk=pk, state__in=[Notification.State.PENDING, Notification.State.SENDING],
                                           next_attempt_at__lte=now)
               .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
               .update(state=Notification.State.SENDING, claimed_until=now + claim_for, attempts=F("attempts") + 1))
    return Notification.objects.select_related("webhook", "complaint").get(pk=pk) if updated else None


def due_ids(now: datetime, limit: int = 200) -> list[int]:
    return list(Notification.objects.filter(state__in=[Notification.State.PENDING, Notification.State.SENDING],
                                            next_attempt_at__lte=now)
                .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
                .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def deliver_due(now: datetime, limit: int = 200) -> dict[str, int]:
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for pk in due_ids(now, limit):
        notification = claim(pk, now)
        if notification is not None:
            counts[deliver(notification, now)] += 1
    return counts


def deliver(notification: Notification, now: datetime) -> str:
    try:
        if notification.channel == Notification.Channel.EMAIL:
            send_email(notification)
        else:
            send_webhook(notification)
    except Exception as exc:  # noqa: BLE001 - any failure of the far side is a retry, never a crash
        log.warning("notification %s failed: %s", notification.key, exc)
        final = notification.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            state=Notification.State.FAILED if final else Notification.State.PENDING, claimed_until=None,
            next_attempt_at=now + backoff(notification.attempts), last_error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed" if final else "retry"
    Notification.objects.filter(pk=notification.pk).update(state=Notification.State.SENT, sent_at=now,
                                                           claimed_until=None, last_error="")
    return "sent"


def message_id(key: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@tousu>"


def send_email(notification: Notification) -> None:
    message = EmailMessage(subject=notification.subject, body=notification.body, to=[notification.address],
                           headers={"Message-ID": message_id(notification.key),
                                    "X-Tousu-Notification": notification.key},
                           connection=get_connection(fail_silently=False))
    message.send()


def webhook_payload(kind: str, subject: str, body: str) -> dict:
    """The three robots' message formats (markdown where they have it)."""
    text = f"**{subject}**\n\n{body}"
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    if kind == "feishu":
        return {"msg_type": "text", "content": {"text": f"{subject}\n{body}"}}
    raise ValueError(f"unknown webhook format {kind!r}")


def send_webhook(notification: Notification) -> None:
    kind = notification.webhook.kind if notification.webhook else "wecom"
    data = json.dumps(webhook_payload(kind, notification.subject, notification.body), ensure_ascii=False).encode()
    request = urllib.request.Request(notification.address, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": notification.key})
    with urllib.request.urlopen(request, timeout=settings.TOUSU_NOTIFY_TIMEOUT_SECONDS) as response:
        answer = response.read()
    # The robots answer 200 with an error code in the body when they refuse a message.
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        return
    code = parsed.get("errcode", parsed.get("code", parsed.get("StatusCode", 0))) if isinstance(parsed, dict) else 0
    if code not in (0, None):
        raise RuntimeError(f"webhook refused the message: {parsed}")
