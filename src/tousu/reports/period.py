"""The period a review covers: whole local days (Asia/Shanghai), the first and the last one included,
and the two periods it is compared with. Plain Python, no Django."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from tousu.timeline import SHANGHAI


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included

    def __post_init__(self):
        if self.last < self.first:
            raise ValueError("the period ends before it starts")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: ZoneInfo = SHANGHAI) -> tuple[datetime, datetime]:
        """[start, end) as aware date-times: from the first day's midnight to the midnight after the last."""
        return (datetime.combine(self.first, time(0), tzinfo=tz),
                datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz))

    @property
    def is_month(self) -> bool:
        return self.first.day == 1 and self.last == self.first + relativedelta(months=1, days=-1)

    @property
    def key(self) -> str:
        """'2026-11' for a calendar month, else '2026-11-03..2026-11-09': names a period in outbox keys."""
        return f"{self.first:%Y-%m}" if self.is_month else f"{self.first}..{self.last}"

    def previous(self) -> "Period":
        """The period of the same length just before; a calendar month's is the month before."""
        if self.is_month:
            return month_of(self.first - timedelta(days=1))
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def last_year(self) -> "Period":
        """The same days a year earlier (29 February becomes the 28th)."""
        if self.is_month:
            return month_of(self.first - relativedelta(years=1))
        return Period(self.first - relativedelta(years=1), self.last - relativedelta(years=1))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, first + relativedelta(months=1, days=-1))


def previous_month(today: date) -> Period:
    return month_of(today.replace(day=1) - timedelta(days=1))


def parse_day(text: str) -> date:
    """An ISO date (2026-11-30); ValueError names the expected form."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a date such as 2026-11-30") from None
