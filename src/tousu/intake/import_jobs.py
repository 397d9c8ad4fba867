"""Imports from the upload page run in the background (R-IN-4).

The file is stored and an `ImportJob` row tracks its progress and report; a queue worker imports it batch
by batch. After each committed batch the job records the last row read and the report so far. A worker
that dies mid-file leaves the job running with an old heartbeat: `resume_stalled` finds it to queue again, and
the next attempt goes on after the last committed batch, so no row is stored or counted twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import Channel
from tousu.complaints.models import ImportJob
from tousu.complaints.uploads import Refused, check_import_file
from tousu.complaints.validation import FieldError, IntakeError
from tousu.intake.imports import ImportReport, RowError, import_file

log = logging.getLogger(__name__)

KEEP_TRACKING_NUMBERS = 50


def stall_after() -> timedelta:
    """A running job whose last batch committed longer ago than this has lost its worker."""
    return timedelta(seconds=settings.TOUSU_IMPORT_STALL_SECONDS)


class LostJob(RuntimeError):
    """Another worker took the job over (this one was thought dead)."""


def start_import(upload: UploadedFile, *, by: User, channel: str, now: datetime) -> ImportJob:
    """Store the file as a queued job; the caller queues its import (`tasks.queue_import`), and the page
    follows the job."""
    if not by.can(Capability.IMPORT):
        raise AccessDenied("this role may not import files")
    errors = []
    try:
        check_import_file(upload, field="file")  # size, type and content, before anything is stored
    except Refused as refused:
        errors.append(refused.error)
    if channel and channel not in Channel.values:
        errors.append(FieldError("channel", _("unknown %(field)s %(value)r; use one of: %(allowed)s")
                                 % {"field": _("channel"), "value": channel, "allowed": ", ".join(Channel.values)}))
    if errors:
        raise IntakeError(errors)
    job = ImportJob(original_name=upload.name[:255], size=upload.size or 0, default_channel=channel, by=by,
                    created_at=now)
    job.file.save(upload.name, upload, save=False)
    job.save()
    return job


def claim(job_id: int, *, now: datetime) -> ImportJob | None:
    """The job, now ours, if it was queued or its worker stalled; None if another worker has it or it ended."""
    taken = ImportJob.objects.filter(pk=job_id).filter(
        Q(state=ImportJob.State.QUEUED) | Q(state=ImportJob.State.RUNNING, heartbeat_at__lt=now - stall_after())
    ).update(state=ImportJob.State.RUNNING, heartbeat_at=now, attempts=F("attempts") + 1,
             started_at=Coalesce("started_at", Value(now)))
    return ImportJob.objects.get(pk=job_id) if taken else None


def run_import(job_id: int) -> ImportJob | None:
    """Import the job's file from where it stopped; the finished job, or None when it was not ours to run."""
    job = claim(job_id, now=timezone.now())
    if job is None:
        return None
    resume = ImportReport(created=job.created, duplicates=job.duplicates,
                          errors=[RowError(**error) for error in job.errors],
                          ignored_columns=list(job.ignored_columns), tracking_numbers=list(job.tracking_numbers))
    errors_before, count_before = len(resume.errors), job.error_count
    mine = ImportJob.objects.filter(pk=job.pk, attempts=job.attempts)

    def record(report: ImportReport, **extra) -> None:
        values = {"created": report.created, "duplicates": report.duplicates,
                  "errors": [e.as_dict() for e in report.errors[:ImportJob.MAX_ERRORS]],
                  "error_count": count_before + len(report.errors) - errors_before,
                  "ignored_columns": report.ignored_columns, "tracking_numbers": report.tracking_numbers,
                  "total_rows": report.total_rows, "heartbeat_at": timezone.now(), **extra}
        if not mine.update(**values):
            raise LostJob(f"import {job.pk} was taken over by another worker")

    try:
        with job.file.open("rb") as stream:
            def progress(report: ImportReport, row: int) -> None:
                # The CSV reader closes the file when it reaches the end.
                record(report, after_row=row, bytes_read=job.size if stream.closed else stream.tell())

            report = import_file(stream, job.original_name, by=job.by, now=timezone.now(),
                                 default_channel=job.default_channel, progress=progress,
                                 keep_tracking_numbers=KEEP_TRACKING_NUMBERS, resume=resume,
                                 after_row=job.after_row)
        record(report, state=ImportJob.State.DONE, finished_at=timezone.now())
    except LostJob:
        log.warning("import %s: taken over by another worker; stopping here", job.pk)
        return None
    except Exception as exc:  # a file that breaks the importer: the job says so instead of hanging
        log.exception("import %s failed", job.pk)
        mine.update(state=ImportJob.State.FAILED, finished_at=timezone.now(), failure=str(exc)[:2000])
    job.refresh_from_db()
    return job


def resume_stalled(*, now: datetime) -> list[int]:
    """The jobs to queue again: those whose worker died (running, no batch committed lately) or whose
    queueing was lost (still queued long after upload)."""
    stale = now - stall_after()
    ids = list(ImportJob.objects.filter(
        Q(state=ImportJob.State.RUNNING, heartbeat_at__lt=stale) | Q(state=ImportJob.State.QUEUED, created_at__lt=stale)
    ).values_list("id", flat=True))
    return ids
