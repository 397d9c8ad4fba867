import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.assessments.trends import rising_trends
from tousu.core.management.arguments import local_time


class Command(BaseCommand):
    help = "Rising complaint types and products against their own baseline, with the evidence (R-RP-4)."

    def add_arguments(self, parser):
        parser.add_argument("--now", type=local_time, help="ISO date-time to look back from (default: now)")
        parser.add_argument("--days", type=int, help="days of the recent period (default: the policy's trend_days)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, now: datetime | None, days: int | None, json: bool, **options):
        if days is not None and days < 1:
            raise CommandError("--days: at least 1")
        result = rising_trends(now or timezone.now(), days=days)
        if json:
            self.stdout.write(_dumps(result))
            return
        if not result["rising"]:
            self.stdout.write(_("Nothing is rising in the last %(days)s days.") % {"days": result["days"]})
            return
        self.stdout.write(_("Rising in the last %(days)s days (against the %(weeks)s weeks before):")
                          % {"days": result["days"], "weeks": result["baseline_weeks"]})
        for t in result["rising"]:
            self.stdout.write(_("  %(key)s %(value)s: %(count)s complaints, about %(expected).1f usual "
                                "(%(baseline)s in the baseline weeks), p = %(p).2g")
                              % {"key": _(t["key"]), "value": t["value"], "count": t["count"],
                                 "expected": t["expected"], "baseline": t["baseline_count"], "p": t["p_value"]})


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
