import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from tousu.core.management.arguments import local_time
from tousu.risk import PolicyError, load_policy
from tousu.timeline import SHANGHAI, WorkCalendar
from tousu.timeline.rules import Duration, due_at


class Command(BaseCommand):
    help = ("Print a due date-time (ISO 8601, Asia/Shanghai) on the mainland-China working calendar, e.g. "
            "`tousu deadline 2026-09-30T10:00 --working-days 5`.")

    def add_arguments(self, parser):
        parser.add_argument("start", type=local_time, help="ISO date-time; without an offset it is read as Asia/Shanghai")
        unit = parser.add_mutually_exclusive_group(required=True)
        unit.add_argument("--working-days", type=int)
        unit.add_argument("--working-hours", type=float)
        unit.add_argument("--hours", type=float)
        unit.add_argument("--days", type=int)
        unit.add_argument("--months", type=int)
        parser.add_argument("--policy", help="take company holidays and business hours from this policy")

    def handle(self, *args, start: datetime, policy: str | None, **options):
        amounts = {unit: options[unit] for unit in ("working_days", "working_hours", "hours", "days", "months")
                   if options.get(unit) is not None}
        try:
            duration = Duration(**amounts)
        except ValueError as exc:
            raise CommandError(f"{next(iter(amounts)).replace('_', '-')}: must be greater than 0") from exc
        calendar = WorkCalendar()
        if policy:
            try:
                calendar = load_policy(policy).deadlines.calendar.build()
            except PolicyError as exc:
                raise CommandError(str(exc)) from None
        due = due_at(start, duration, calendar)
        for year in sorted({start.astimezone(SHANGHAI).year, due.year}):
            if calendar.is_provisional(year):
                sys.stderr.write(f"provisional: {year} has no official holiday schedule yet; "
                                 "make-up working days are not known\n")
        self.stdout.write(due.astimezone(SHANGHAI).isoformat())
