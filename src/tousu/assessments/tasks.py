from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from tousu.intake.incidents import detect


@db_periodic_task(crontab(minute="*/5"))
@lock_task("incident-detection")
def detect_incidents_periodically() -> list[int]:
    return [incident.pk for incident in detect(timezone.now())]
