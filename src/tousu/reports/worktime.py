"""Working time on the calendar, summed over groups of stage clocks instead of clock by clock.

A moment is given as its local day number (days since 1970-01-01) and its seconds after local midnight.
The working time before a moment is linear in those seconds within each stretch of the day where the pace
does not change (inside a span of business hours, or outside every span), so the sum over many moments
of the same day and stretch needs only their count and the sum of their seconds: the database groups,
this module does the calendar. Plain Python, no Django."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta

from tousu.timeline import WorkCalendar

DAY = 86_400
EPOCH = date(1970, 1, 1)


def _seconds(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second


@dataclass(frozen=True)
class MomentGroup:
    """`count` moments of local day `day` in stretch `stretch` whose seconds after midnight add up to `seconds`."""

    day: int
    stretch: int
    count: int
    seconds: float


class WorkingTime:
    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar
        hours = calendar.business_hours
        self.spans = ((0, DAY),) if hours is None else tuple((_seconds(a), _seconds(b)) for a, b in hours.spans())
        # Seconds after midnight where the pace changes; a moment's stretch is how many of them it has passed.
        # Without business hours a working day is worked all day: one stretch.
        self.bounds: tuple[int, ...] = () if hours is None else tuple(sorted({s for span in self.spans for s in span}))
        self.day_seconds = sum(end - start for start, end in self.spans)
        self._working: dict[int, bool] = {}

    def is_working(self, day: int) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self.calendar.is_working_day(EPOCH + timedelta(days=day))
        return known

    def _worked_by(self, seconds: int) -> int:
        """Working seconds of a working day before `seconds` after midnight."""
        return sum(max(0, min(end, seconds) - start) for start, end in self.spans)

    def stretch_of(self, seconds: int) -> int:
        return sum(1 for bound in self.bounds if seconds >= bound)

    def _pace(self, stretch: int) -> tuple[int, int]:
        """(start of the stretch, 1 if it is worked else 0)."""
        start = self.bounds[stretch - 1] if stretch else 0
        worked = any(a <= start < b for a, b in self.spans)
        return start, int(worked)

    def working_days_between(self, first: int, last: int) -> int:
        """Working days in [first, last) (negative when last < first)."""
        if last < first:
            return -self.working_days_between(last, first)
        return sum(1 for day in range(first, last) if self.is_working(day))

    def worked_within(self, group: MomentGroup) -> float:
        """The sum, over the group's moments, of the working seconds of their day before them."""
        if not self.is_working(group.day):
            return 0.0
        start, worked = self._pace(group.stretch)
        return group.count * self._worked_by(start) + worked * (group.seconds - group.count * start)

    def seconds_between(self, pairs: Iterable[tuple[MomentGroup, MomentGroup]]) -> float:
        """Σ working seconds from each earlier moment to its later one (negative where it lies before), for
        pairs of groups of the same count."""
        total = 0.0
        for begin, end in pairs:
            days = self.working_days_between(begin.day, end.day)
            total += begin.count * days * self.day_seconds + self.worked_within(end) - self.worked_within(begin)
        return total
