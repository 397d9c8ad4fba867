from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from tousu.complaints.actions.email_intake import MailboxSettings, fetch


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
    from tousu.complaints.actions.import_jobs import run_import

    run_import(job_id)


@db_periodic_task(crontab(minute="*"))
def resume_stalled_imports() -> list[int]:
    from tousu.complaints.actions.import_jobs import resume_stalled

    return resume_stalled(now=timezone.now())
