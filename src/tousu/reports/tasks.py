from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from tousu.reports.monthly import send_monthly_review


@db_periodic_task(crontab(hour="8", minute="0"))
@lock_task("monthly-review")
def send_monthly_review_periodically() -> dict:
    # Daily at 08:00: on the first (or, after a missed run, within the first week) last month's review
    # goes out once; the other days find it already in the outbox.
    return send_monthly_review(timezone.now())
