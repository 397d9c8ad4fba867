from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from tousu.notify.delivery import deliver_due


@db_task()
def deliver_due_task() -> dict:
    return deliver_due(timezone.now())


@db_periodic_task(crontab(minute="*"))
@lock_task("deliver-notifications")
def deliver_periodically() -> dict:
    # Picks up what a killed worker left and what waits for its retry time.
    return deliver_due(timezone.now())
