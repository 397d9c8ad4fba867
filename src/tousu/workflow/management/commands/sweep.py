import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.notify.delivery import deliver_due
from tousu.timeline import SHANGHAI
from tousu.workflow.actions.sweep import sweep


class Command(BaseCommand):
    help = ("Warn before deadlines and escalate overdue complaints once, then deliver due notifications. "
            "Runs every minute in the task queue; `--now ISO` is for operators and tests.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date-time to sweep as of (default: now)")
        parser.add_argument("--no-deliver", action="store_true", help="only fill the outbox")

    def handle(self, *args, now: str | None, no_deliver: bool, **options):
        moment = timezone.now()
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: {now!r} is not an ISO 8601 date-time") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=SHANGHAI)
        result = sweep(moment)
        if not no_deliver:
            result["notifications"] = deliver_due(moment)
        self.stdout.write(json.dumps(result))
