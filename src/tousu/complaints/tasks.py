"""Background jobs (entry points, like views): each calls one action. Jobs are queued on commit, so a
worker never looks for a row that is not stored yet."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from tousu.complaints.models import ImportJob
from tousu.intake.email import MailboxSettings, fetch
from tousu.intake.import_jobs import resume_stalled, run_import


@db_periodic_task(crontab(minute="*/2"))
@lock_task("fetchmail")
def fetch_mail_periodically() -> dict | None:
    if not settings.TOUSU_IMAP_HOST:
        return None
    mailbox = MailboxSettings(host=settings.TOUSU_IMAP_HOST, port=settings.TOUSU_IMAP_PORT,
                              user=settings.TOUSU_IMAP_USER, password=settings.TOUSU_IMAP_PASSWORD,
                              folder=settings.TOUSU_IMAP_FOLDER, ssl=settings.TOUSU_IMAP_SSL)
    return fetch(mailbox, now=timezone.now()).as_dict()


@db_task()
def import_job_task(job_id: int) -> None:
    run_import(job_id)


def queue_import(job: ImportJob) -> ImportJob:
    """Queue a started import (`import_jobs.start_import`) once its job row is committed."""
    transaction.on_commit(lambda: import_job_task(job.pk))
    return job


@db_periodic_task(crontab(minute="*"))
def resume_stalled_imports() -> list[int]:
    ids = resume_stalled(now=timezone.now())
    for job_id in ids:
        import_job_task(job_id)
    return ids
