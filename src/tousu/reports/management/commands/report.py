import json
import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from tousu.complaints.validation import IntakeError
from tousu.core.management.arguments import local_time
from tousu.reports.cohort import Cohort
from tousu.reports.drill import parse_scope
from tousu.reports.period import previous_month
from tousu.reports.printable import render_printable
from tousu.reports.review import build_review
from tousu.reports.summary import summary_lines
from tousu.reports.xlsx import write_workbook
from tousu.timeline import SHANGHAI


class Command(BaseCommand):
    help = ("The review of a period (default: last month): counts, time limits, reopen and repeat rates, "
            "satisfaction, root causes, trend, high-risk traits, escalations, emergencies and improvements. "
            "Prints a summary, or the JSON with --json; writes an Excel workbook and a printable HTML report.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", metavar="DATE", help="first day, e.g. 2026-11-01")
        parser.add_argument("--to", dest="last", metavar="DATE", help="last day, included, e.g. 2026-11-30")
        parser.add_argument("--department", default="", help="a department code (default: every department)")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print the review as JSON (docs/reports.md)")
        parser.add_argument("--xlsx", metavar="FILE", help="write the Excel workbook here")
        parser.add_argument("--html", metavar="FILE", help="write the printable HTML report (A4) here")
        parser.add_argument("--now", type=local_time, help="count open clocks as of this ISO date-time (default: now)")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])

    def handle(self, *args, first: str | None, last: str | None, department: str, as_json: bool, xlsx: str | None,
               html: str | None, now: datetime | None, language: str, **options):
        moment = now or timezone.now()
        try:
            period, department = parse_scope({"from": first, "to": last, "department": department},
                                             default=previous_month(moment.astimezone(SHANGHAI).date()))
        except IntakeError as exc:
            raise CommandError("; ".join(f"--{e.field}: {e.reason}" for e in exc.errors)) from None
        with translation.override(language):
            cohort = Cohort(period, department)
            review = build_review(cohort, now=moment)
            if xlsx:
                with open(xlsx, "wb") as out:
                    write_workbook(review, cohort, out)
            if html:
                with open(html, "w", encoding="utf-8") as out:
                    out.write(render_printable(review))
            if as_json:
                self.stdout.write(_dumps(review))
            else:
                self.stdout.write("\n".join(summary_lines(review)))
        if xlsx or html:
            print(" ".join(f"wrote {path}" for path in (xlsx, html) if path), file=sys.stderr)


def _dumps(review: dict) -> str:
    return json.dumps(review, ensure_ascii=False, indent=2)
