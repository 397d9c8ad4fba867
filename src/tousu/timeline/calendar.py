"""The mainland-China working-day calendar: public holidays and make-up working days (调休) from the
`holidays` package, company overrides, optional business hours. Plain Python, no Django."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from holidays.countries.china import ChinaStaticHolidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY = timedelta(days=1)


def _official_years() -> frozenset[int]:
    return frozenset(ChinaStaticHolidays.special_public_holidays) | frozenset(
        getattr(ChinaStaticHolidays, "special_public_holidays_observed", {}))


OFFICIAL_YEARS = _official_years()
LAST_OFFICIAL_YEAR = max(OFFICIAL_YEARS)


@lru_cache(maxsize=64)
def _china(year: int) -> tuple[frozenset[date], frozenset[date], dict[date, str]]:
    """(holidays, make-up working days, names) of one year."""
    calendar = holidays.China(years=year, language="zh_CN")
    days = {d: name for d, name in calendar.items() if d.year == year}
    workdays = frozenset(d for d in calendar.weekend_workdays if d.year == year)
    return frozenset(days), workdays, days


@dataclass(frozen=True)
class BusinessHours:
    """Working hours of a working day, e.g. 09:00–18:00 with a 12:00–13:00 lunch break."""

    start: time = time(9)
    end: time = time(18)
    lunch: tuple[time, time] | None = (time(12), time(13))

    def __post_init__(self):
        if not self.start < self.end:
            raise ValueError("business hours: start must be before end")
        if self.lunch and not (self.start <= self.lunch[0] < self.lunch[1] <= self.end):
            raise ValueError("business hours: the lunch break must lie inside the working hours")

    def spans(self) -> list[tuple[time, time]]:
        if self.lunch is None:
            return [(self.start, self.end)]
        return [(self.start, self.lunch[0]), (self.lunch[1], self.end)]


@dataclass(frozen=True)
class WorkCalendar:
    extra_holidays: frozenset[date] = field(default_factory=frozenset)  # company days off
    extra_working_days: frozenset[date] = field(default_factory=frozenset)  # company working weekends
    business_hours: BusinessHours | None = None
    tz: ZoneInfo = SHANGHAI

    # ---- days -------------------------------------------------------------------------------------
    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_holidays:
            return False
        official_holidays, makeup_days, _names = _china(day.year)
        if day in makeup_days:
            return True
        if day in official_holidays:
            return False
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        return _china(day.year)[2].get(day)

    @staticmethod
    def is_provisional(year: int) -> bool:
        """True for a year whose official schedule (with its 调休 days) the package does not know yet:
        only the fixed-date and lunar holidays are known, make-up working days are missing."""
        return year > LAST_OFFICIAL_YEAR

    def next_working_day(self, day: date) -> date:
        day += _DAY
        while not self.is_working_day(day):
            day += _DAY
        return day

    # ---- arithmetic -------------------------------------------------------------------------------
    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("aware date-times only")
        return moment.astimezone(self.tz)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        return self.local(start) + timedelta(hours=hours)

    def add_days(self, start: datetime, days: int) -> datetime:
        local = self.local(start)
        return _at(local.date() + timedelta(days=days), local.timetz(), self.tz)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same clock time on the N-th working day after the start day (自受理之日起 N 个工作日).
        From a non-working day, counting begins at the next working day. With business hours, a start
        after closing counts from the next working day's opening."""
        if days < 0:
            raise ValueError("working days must not be negative")
        local = self.local(start)
        day, clock = local.date(), local.timetz().replace(tzinfo=None)
        if self.business_hours is not None:
            if clock >= self.business_hours.end:
                day, clock = self.next_working_day(day), self.business_hours.start
            elif clock < self.business_hours.start:
                clock = self.business_hours.start
        return _at(self.nth_working_day_after(day, days), clock, self.tz)

    @lru_cache(maxsize=4096)  # noqa: B019 - the calendar is immutable and few; imports ask for the same days
    def nth_working_day_after(self, day: date, days: int) -> date:
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """Counts only business hours of working days (all 24 hours of a working day without them)."""
        return self.add_working_seconds(start, hours * 3600)

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        if self.business_hours is None:
            return [(_at(day, time(0), self.tz), _at(day + _DAY, time(0), self.tz))]
        return [(_at(day, a, self.tz), _at(day, b, self.tz)) for a, b in self.business_hours.spans()]

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("working time must not be negative")
        moment = self.local(start)
        remaining = timedelta(seconds=seconds)
        day = moment.date()
        for _ in range(3700):  # ten years of days: a bound, never reached by real limits
            for span_start, span_end in self._spans(day):
                begin = max(span_start, moment)
                if begin >= span_end:
                    continue
                available = span_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _DAY
        raise ValueError("working time too long to place on the calendar")

    def working_seconds_between(self, begin: datetime, end: datetime) -> float:
        begin, end = self.local(begin), self.local(end)
        if end <= begin:
            return 0.0
        total = timedelta()
        day = begin.date()
        while day <= end.date():
            for span_start, span_end in self._spans(day):
                lo, hi = max(span_start, begin), min(span_end, end)
                if hi > lo:
                    total += hi - lo
            day += _DAY
        return total.total_seconds()


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=tz)


def parse_local(text: str) -> datetime:
    """An ISO 8601 date-time as typed by an operator; without an offset it is Asia/Shanghai time.
    ValueError names the expected form."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time (e.g. 2026-09-30T10:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=SHANGHAI)

