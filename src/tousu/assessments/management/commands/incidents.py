import json
from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from tousu.assessments.models import Incident
from tousu.core.management.arguments import local_time
from tousu.intake.incidents import detect


class Command(BaseCommand):
    help = "Mass-incident early warning: open an incident for each group of similar complaints that spiked."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=local_time, help="ISO date-time to detect as of (default: now)")

    def handle(self, *args, now: datetime | None, **options):
        moment = now or timezone.now()
        opened = detect(moment)
        self.stdout.write(json.dumps({
            "opened": [{"id": i.pk, "key": i.key, "value": i.value, "count": i.count_at_open,
                        "expected": i.expected, "complaints": i.complaints.count()} for i in opened],
            "open": Incident.objects.filter(state=Incident.State.OPEN).count()}, ensure_ascii=False))
