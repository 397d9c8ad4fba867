"""Email intake (R-IN-6): mail to the complaint mailbox becomes a complaint through the same intake
action; a reply whose subject carries a tracking number joins that complaint's contact log instead.

A message is marked \\Seen only after it is stored, and its Message-ID is remembered with what it
became, so a crash between the two stores nothing twice when the mailbox is read again."""

import hashlib
import imaplib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.actions.contacts import log_contact
from tousu.complaints.choices import Channel, EventKind, Source
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.tracking import ALPHABET, RANDOM_LENGTH
from tousu.complaints.uploads import Refused
from tousu.complaints.validation import MAX_TEXT_LENGTH, IntakeError, validate_intake
from tousu.intake.pipeline import record_complaint
from tousu.notify.outbox import enqueue
from tousu.workflow.actions.deadlines import resume

TRACKING_IN_SUBJECT = re.compile(rf"TS\d{{4}}-[{ALPHABET}]{{{RANDOM_LENGTH}}}", re.IGNORECASE)


@dataclass
class MailboxSettings:
    host: str
    port: int = 993
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    ssl: bool = True


@dataclass
class FetchReport:
    created: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "replies": self.replies, "duplicates": self.duplicates, "errors": self.errors}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_subtype() == "html":
        parser = _Text()
        parser.feed(text)
        text = " ".join(p.strip() for p in parser.parts if p.strip())
    return text.strip()


def message_key(message: EmailMessage, raw: bytes) -> str:
    mid = (message.get("Message-ID") or "").strip()
    return f"mail:{mid[:110]}" if mid else f"mail:sha256:{hashlib.sha256(raw).hexdigest()[:100]}"


def ingest(raw: bytes, *, now: datetime) -> tuple[str, str]:
    """Store one message; returns ("created" | "reply" | "duplicate", tracking number)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    key = message_key(message, raw)
    subject = str(message.get("Subject", "") or "").strip()
    name, address = parseaddr(str(message.get("From", "")))
    text = body_text(message)
    match = TRACKING_IN_SUBJECT.search(subject)
    if match:
        complaint = Complaint.objects.filter(tracking_number=match.group(0).upper()).first()
        if complaint is not None:
            return _reply(complaint, key=key, sender=address, subject=subject, text=text, now=now)
    existing = Complaint.objects.filter(import_key=key).values_list("tracking_number", flat=True).first()
    if existing:
        return "duplicate", existing
    received = None
    try:
        received = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        received = None
    content = "\n\n".join(p for p in (subject, text) if p)[:MAX_TEXT_LENGTH] or _("(empty email)")
    fields = {"text": content, "channel": Channel.EMAIL}
    if address:
        fields["email"] = address
    if name:
        fields["customer_name"] = name
    if received and received <= now:
        fields["received_at"] = received
    data = validate_intake(fields, now=now)
    try:
        with transaction.atomic():
            complaint = record_complaint(data, by=None, source=Source.EMAIL, now=now)
            Complaint.objects.filter(pk=complaint.pk).update(import_key=key)
            for attachment in message.iter_attachments():
                payload = attachment.get_payload(decode=True) or b""
                try:
                    with transaction.atomic():
                        add_attachment(complaint, SimpleUploadedFile(
                            attachment.get_filename() or "attachment", payload,
                            content_type=attachment.get_content_type()), by=None, now=now)
                except Refused as refused:
                    # The complaint is kept; the file is not, and its history says which and why.
                    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.NOTE, actor=None, at=now,
                                                  data={"refused_attachment": refused.facts})
            if address:
                enqueue(key=f"received:{complaint.pk}", kind="acknowledgement", complaint=complaint, now=now,
                        recipients=[], addresses=[address], webhooks=False,
                        subject=_("Your complaint was received: %(number)s") % {"number": complaint.tracking_number},
                        body=_("We received your complaint. Its tracking number is %(number)s; reply to this mail "
                               "with the number in the subject to add anything.")
                        % {"number": complaint.tracking_number})
    except IntegrityError:
        existing = Complaint.objects.filter(import_key=key).values_list("tracking_number", flat=True).first()
        if existing:
            return "duplicate", existing
        raise
    return "created", complaint.tracking_number


def _reply(complaint: Complaint, *, key: str, sender: str, subject: str, text: str, now: datetime) -> tuple[str, str]:
    if ComplaintEvent.objects.filter(complaint=complaint, kind=EventKind.CONTACT, data__message_key=key).exists():
        return "duplicate", complaint.tracking_number
    with transaction.atomic():
        log_contact(complaint, by=None, channel=Channel.EMAIL, note=text or subject, now=now, direction="inbound",
                    data={"message_key": key, "from": sender, "subject": subject})
        if complaint.waiting_since is not None:
            resume(complaint, by=None, now=now, note=_("the customer replied by email"))
    return "reply", complaint.tracking_number


def fetch(mailbox: MailboxSettings, *, now: datetime, limit: int = 500) -> FetchReport:
    """Read unseen mail, store each message, then mark it seen."""
    report = FetchReport()
    client = (imaplib.IMAP4_SSL if mailbox.ssl else imaplib.IMAP4)(mailbox.host, mailbox.port, timeout=30)
    try:
        client.login(mailbox.user, mailbox.password)
        client.select(mailbox.folder)
        _status, found = client.uid("SEARCH", None, "UNSEEN")
        for uid in (found[0].split() if found and found[0] else [])[:limit]:
            _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            try:
                outcome, number = ingest(raw, now=now)
            except IntakeError as exc:
                report.errors.append({"uid": uid.decode(), "reason": str(exc)})
                continue  # left unseen for a person to look at; nothing stored
            {"created": report.created, "reply": report.replies}.get(outcome, []).append(number)
            if outcome == "duplicate":
                report.duplicates += 1
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return report
