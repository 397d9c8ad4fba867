"""Time limits as data (R-WF-3): per stage, by risk level, emergency and channel, in hours, working hours,
working days, calendar days or months; and the deadline arithmetic that places them on the calendar."""

from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

from tousu.timeline.calendar import BusinessHours, WorkCalendar


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unit(StrEnum):
    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    DAYS = "days"
    MONTHS = "months"


class Stage(StrEnum):
    ACKNOWLEDGE = "acknowledge"  # tell the customer it was received
    FIRST_RESPONSE = "first_response"  # first substantive answer: investigation started or a contact made
    INVESTIGATION = "investigation"  # investigating → solution proposed
    SOLUTION = "solution"  # received → solution carried out (the resolution limit)
    APPROVAL = "approval"  # solution proposed → approved
    CUSTOMER_FEEDBACK = "customer_feedback"  # approved → the customer told the outcome
    FOLLOW_UP = "follow_up"  # carried out → closed after follow-up and improvement


class Duration(_Strict):
    """Exactly one of the units, e.g. `{working_days: 5}` or `{hours: 24}`."""

    hours: float | None = Field(None, gt=0)
    working_hours: float | None = Field(None, gt=0)
    working_days: int | None = Field(None, gt=0)
    days: int | None = Field(None, gt=0)
    months: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_unit(self) -> "Duration":
        given = [unit for unit in Unit if getattr(self, unit.value) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of: " + ", ".join(u.value for u in Unit))
        return self

    @cached_property  # asked for every clock computed; a frozen model's unit never changes
    def unit(self) -> Unit:
        return _UNIT_OF[tuple(getattr(self, unit.value) is not None for unit in Unit)]

    @cached_property
    def amount(self) -> float:
        return getattr(self, self.unit.value)

    def __str__(self) -> str:
        amount = self.amount
        return f"{int(amount) if float(amount).is_integer() else amount} {self.unit.value.replace('_', ' ')}"


_UNIT_OF = {tuple(unit is other for other in Unit): unit for unit in Unit}


class StageLimits(_Strict):
    """A stage's limit: `default`, optionally one per risk level, one for emergencies, and the one
    extension an approver may grant."""

    default: Duration
    high: Duration | None = None
    medium: Duration | None = None
    low: Duration | None = None
    emergency: Duration | None = None
    extension: Duration | None = None

    def for_case(self, level: str, emergency: bool) -> Duration:
        if emergency and self.emergency is not None:
            return self.emergency
        return getattr(self, level, None) or self.default if level in ("high", "medium", "low") else self.default


class CalendarPolicy(_Strict):
    extra_holidays: list[date] = []
    extra_working_days: list[date] = []
    business_hours: dict[str, time | list[time] | None] | None = None  # {start, end, lunch: [from, to]}

    def build(self) -> WorkCalendar:
        hours = None
        if self.business_hours is not None:
            spec = dict(self.business_hours)
            start, end, lunch = spec.get("start") or time(9), spec.get("end") or time(18), spec.get("lunch")
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError("business_hours.start and .end: give a time such as 09:00")
            if lunch is not None and (not isinstance(lunch, list) or len(lunch) != 2):
                raise ValueError("business_hours.lunch: give [from, to]")
            hours = BusinessHours(start=start, end=end, lunch=(lunch[0], lunch[1]) if lunch else None)
        return WorkCalendar(extra_holidays=frozenset(self.extra_holidays),
                            extra_working_days=frozenset(self.extra_working_days), business_hours=hours)


def _d(**unit) -> Duration:
    return Duration(**unit)


DEFAULT_STAGES: dict[Stage, StageLimits] = {
    # R-WF-3 defaults from the seeds.
    Stage.ACKNOWLEDGE: StageLimits(default=_d(hours=24), emergency=_d(hours=2)),
    Stage.FIRST_RESPONSE: StageLimits(default=_d(working_days=1)),
    Stage.INVESTIGATION: StageLimits(default=_d(working_days=5), high=_d(working_days=3),
                                     extension=_d(working_days=10)),
    Stage.SOLUTION: StageLimits(default=_d(working_days=5), medium=_d(hours=48), high=_d(working_days=3),
                                emergency=_d(working_days=1)),
    Stage.APPROVAL: StageLimits(default=_d(working_days=2)),
    Stage.CUSTOMER_FEEDBACK: StageLimits(default=_d(working_days=2)),
    Stage.FOLLOW_UP: StageLimits(default=_d(months=1)),
}


class EscalationPolicy(_Strict):
    # Warn when this share of the time has passed (0.75: a quarter of the time is left).
    warn_at_fraction: float = Field(0.75, gt=0, lt=1)
    # After the deadline: owner first, then each next step when this much more time has passed.
    steps: list[str] = ["owner", "manager", "leader"]
    every: Duration = _d(working_hours=4)


class DeadlinePolicy(_Strict):
    calendar: CalendarPolicy = CalendarPolicy()
    stages: dict[Stage, StageLimits] = {}
    # Per channel, stage limits that replace the general ones (regulators' own limits).
    channels: dict[str, dict[Stage, StageLimits]] = {}
    escalation: EscalationPolicy = EscalationPolicy()
    # A complaint back from the customer within this many days reopens the old one instead.
    reopen_window_days: int = Field(30, ge=0)

    def limits(self, stage: Stage, channel: str = "") -> StageLimits:
        by_channel = self.channels.get(channel, {})
        return by_channel.get(stage) or self.stages.get(stage) or DEFAULT_STAGES[stage]

    def duration(self, stage: Stage, *, level: str, emergency: bool, channel: str = "") -> Duration:
        return self.limits(stage, channel).for_case(level, emergency)


def due_at(start: datetime, duration: Duration, calendar: WorkCalendar) -> datetime:
    unit, amount = duration.unit, duration.amount
    if unit is Unit.HOURS:
        return calendar.add_hours(start, amount)
    if unit is Unit.WORKING_HOURS:
        return calendar.add_working_hours(start, amount)
    if unit is Unit.WORKING_DAYS:
        return calendar.add_working_days(start, int(amount))
    if unit is Unit.DAYS:
        return calendar.add_days(start, int(amount))
    return calendar.local(start) + relativedelta(months=int(amount))


def remaining_after_pause(paused_at: datetime, due: datetime, duration: Duration, calendar: WorkCalendar) -> float:
    """Time left on a deadline when its clock stops, in the deadline's own kind of time (seconds)."""
    if duration.unit in (Unit.WORKING_HOURS, Unit.WORKING_DAYS):
        return calendar.working_seconds_between(paused_at, due)
    return max(0.0, (due - paused_at).total_seconds())


def due_after_resume(resumed_at: datetime, remaining: float, duration: Duration, calendar: WorkCalendar) -> datetime:
    if duration.unit in (Unit.WORKING_HOURS, Unit.WORKING_DAYS):
        return calendar.add_working_seconds(resumed_at, remaining)
    return calendar.add_hours(resumed_at, remaining / 3600)
