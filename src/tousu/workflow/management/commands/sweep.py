import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.notify.delivery import deliver_due
from tousu.timeline import parse_local
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
                moment = parse_local(now)
            except ValueError as exc:
                raise CommandError(f"--now: {exc}") from None
        result = sweep(moment)
        if not no_deliver:
            result["notifications"] = deliver_due(moment)
        self.stdout.write(json.dumps(result))
