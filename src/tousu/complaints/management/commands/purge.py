import json
from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from tousu.complaints.actions.retention import purge
from tousu.core.management.arguments import local_time


class Command(BaseCommand):
    help = ("Retention (R-SEC-3): anonymise the personal data of archived complaints closed longer ago than "
            "the policy's retention.years_after_closing; statistics stay. Prints what it did as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be anonymised; change nothing")
        parser.add_argument("--now", type=local_time, help="ISO date-time to purge as of (default: now)")

    def handle(self, *args, dry_run: bool, now: datetime | None, **options):
        report = purge(now=now or timezone.now(), dry_run=dry_run)
        self.stdout.write(json.dumps({
            "dry_run": report.dry_run, "years_after_closing": report.years_after_closing,
            "closed_before": report.cutoff.isoformat(), "anonymised" if not dry_run else "would_anonymise":
            len(report.tracking_numbers), "tracking_numbers": report.tracking_numbers,
            "events_masked": report.events_masked}, ensure_ascii=False))
