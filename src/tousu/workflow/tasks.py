from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from tousu.workflow.actions.sweep import sweep


@db_periodic_task(crontab(minute="*"))
@lock_task("deadline-sweep")
def sweep_periodically() -> dict:
    return sweep(timezone.now())
