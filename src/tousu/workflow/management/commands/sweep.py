import json
from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from tousu.core.management.arguments import local_time
from tousu.notify.delivery import deliver_due
from tousu.workflow.actions.sweep import sweep


class Command(BaseCommand):
    help = ("Warn before deadlines and escalate overdue complaints once, then deliver due notifications. "
            "Runs every minute in the task queue; `--now ISO` is for operators and tests.")

    def add_arguments(self, parser):
        parser.add_argument("--now", type=local_time, help="ISO date-time to sweep as of (default: now)")
        parser.add_argument("--no-deliver", action="store_true", help="only fill the outbox")

    def handle(self, *args, now: datetime | None, no_deliver: bool, **options):
        moment = now or timezone.now()
        result = sweep(moment)
        if not no_deliver:
            result["notifications"] = deliver_due(moment)
        self.stdout.write(json.dumps(result))
