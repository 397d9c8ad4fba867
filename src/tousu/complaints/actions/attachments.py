import hashlib
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Attachment, Complaint, ComplaintEvent
from tousu.complaints.validation import FieldError, IntakeError


def add_attachment(complaint: Complaint, upload: UploadedFile, *, by: User | None, now: datetime) -> Attachment:
    """Store a file with its SHA-256 and record it in the complaint's history."""
    if upload.size is not None and upload.size > settings.TOUSU_MAX_ATTACHMENT_BYTES:
        raise IntakeError([FieldError("attachments", _("%(name)s is larger than %(max)d MB") % {
            "name": upload.name, "max": settings.TOUSU_MAX_ATTACHMENT_BYTES // (1024 * 1024)})])
    digest = hashlib.sha256()
    content = bytearray()
    for chunk in upload.chunks():
        digest.update(chunk)
        content.extend(chunk)
    sha256 = digest.hexdigest()
    with transaction.atomic():
        attachment = Attachment(
            complaint=complaint,
            original_name=(upload.name or "attachment")[:255],
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            size=len(content),
            sha256=sha256,
            uploaded_by=by,
            uploaded_at=now,
        )
        storage = Attachment._meta.get_field("file").storage
        path = f"attachments/{sha256[:2]}/{sha256}"
        if storage.exists(path):
            attachment.file.name = path  # identical content is kept once
        else:
            attachment.file.save(sha256, ContentFile(bytes(content)), save=False)
        attachment.save()
        ComplaintEvent.objects.create(
            complaint=complaint, kind=EventKind.ATTACHMENT_ADDED, actor=by, at=now,
            data={"name": attachment.original_name, "sha256": sha256, "size": attachment.size},
        )
    return attachment
