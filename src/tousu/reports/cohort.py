"""Which complaints a review counts: those received in its period (and in the two periods it is compared
with), of its department, that its reader may see. Every figure of the review is about this cohort;
clocks, surveys, causes, escalations, plans and solutions are those of its complaints."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from tousu.complaints.models import Complaint
from tousu.reports.period import Period
from tousu.timeline import SHANGHAI

CURRENT, PREVIOUS, LAST_YEAR = 0, 1, 2
PERIOD_KEYS = ("current", "previous", "last_year")


@dataclass(frozen=True)
class Cohort:
    period: Period
    department: str = ""  # a department code; empty: every department
    visible: QuerySet | None = None  # the reader's complaints; None: every complaint (the command, the mail)
    periods: tuple[Period, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "periods", (self.period, self.period.previous(), self.period.last_year()))

    @property
    def offset(self) -> int:
        """The local clock's offset from UTC in seconds (Asia/Shanghai: +8 hours, no daylight saving)."""
        start, _end = self.period.bounds(SHANGHAI)
        return int(start.utcoffset().total_seconds())

    def bounds(self, index: int = CURRENT) -> tuple[datetime, datetime]:
        return self.periods[index].bounds(SHANGHAI)

    def where(self, prefix: str = "", periods: tuple[int, ...] = (CURRENT,)) -> Q:
        """The cohort as a condition on Complaint, or on a model reaching it through `prefix` ("complaint__")."""
        received = Q()
        for index in periods:
            start, end = self.bounds(index)
            received |= Q(**{f"{prefix}received_at__gte": start, f"{prefix}received_at__lt": end})
        condition = received
        if self.department:
            condition &= Q(**{f"{prefix}department__code": self.department})
        if self.visible is not None:
            condition &= Q(**{f"{prefix}in" if prefix else "pk__in": self.visible.values("pk")})
        return condition

    def complaints(self, index: int = CURRENT) -> QuerySet[Complaint]:
        return Complaint.objects.filter(self.where(periods=(index,))).order_by()

    def all_periods(self) -> tuple[int, ...]:
        return (CURRENT, PREVIOUS, LAST_YEAR)
