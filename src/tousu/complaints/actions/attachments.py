import hashlib
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from tousu.accounts.models import User
from tousu.complaints import events
from tousu.complaints.models import Attachment, Complaint
from tousu.complaints.uploads import check_attachment


def add_attachment(complaint: Complaint, upload: UploadedFile, *, by: User | None, now: datetime,
                   field: str = "attachments") -> Attachment:
    """Store a file with its SHA-256 and record it in the complaint's history. A file too large, of a type
    not taken or whose content is not what its name says is refused (IntakeError naming `field`) before
    anything is written."""
    checked = check_attachment(upload, field=field)  # raises Refused, an IntakeError
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
            # What the content was checked to be, not what the sender's browser claimed.
            content_type=checked.content_type,
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
        events.attachment_added(complaint.pk, by=by, at=now, name=attachment.original_name, sha256=sha256,
                                size=attachment.size)
    return attachment
