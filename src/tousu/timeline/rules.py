"""Time limits as data (R-WF-3): per stage, by risk level, emergency and channel, in hours, working hours,
working days, calendar days or months; and the deadline arithmetic that places them on the calendar.

Besides the stages the handling machine starts, a policy may switch on clocks of its own (`OPTIONAL_STAGES`:
the notice that a case needs longer, a refund, the market regulator's mediation, follow-ups), each started
and met alongside another stage (`starts_with`, `starts_after`, `met_with`). Every limit may name the
clause it comes from (`source`), a second extension that only a given role grants, and the policy says
which time is excluded from every limit (appraisal, testing, assessment)."""

from collections.abc import Iterable
from datetime import date, datetime, time
from enum import StrEnum
from functools import cached_property
from typing import Literal

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
    # Optional clocks, only where the policy defines them:
    DELAY_NOTICE = "delay_notice"  # a case that needs longer: the customer told the expected date
    RESULT_FEEDBACK = "result_feedback"  # received → the customer told the result (seed 002: 72 hours)
    REFUND = "refund"  # a refund demand carried out (aviation: 7 working days)
    MEDIATION = "mediation"  # accepted → agreement; none in time ends the mediation (market regulator)
    MEDIATION_NOTICE = "mediation_notice"  # mediation ended without agreement → both parties told
    FIRST_FOLLOW_UP = "first_follow_up"  # carried out → first follow-up call (seed 002: 24 hours)
    SECOND_FOLLOW_UP = "second_follow_up"  # carried out → second follow-up call (seed 002: 72 hours)


# The stages the handling machine starts and stops itself; every limit of theirs has a default.
MACHINE_STAGES = frozenset({Stage.ACKNOWLEDGE, Stage.FIRST_RESPONSE, Stage.INVESTIGATION, Stage.SOLUTION,
                            Stage.APPROVAL, Stage.CUSTOMER_FEEDBACK, Stage.FOLLOW_UP})
OPTIONAL_STAGES = frozenset(Stage) - MACHINE_STAGES


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
    """A stage's limit: `default`, optionally one per risk level, one for emergencies, the extension an
    approver may grant and a second one only `second_extension_role` grants (both counted from the
    stage's start, like the limit), the clause it comes from, and for optional stages what starts and
    meets them."""

    default: Duration
    high: Duration | None = None
    medium: Duration | None = None
    low: Duration | None = None
    emergency: Duration | None = None
    extension: Duration | None = None
    second_extension: Duration | None = None
    second_extension_role: str = "leader"
    source: str = Field("", max_length=200)  # e.g. 银行业保险业消费投诉处理管理办法 第二十一条
    starts_with: list[Stage] = []  # optional stages: start when one of these starts
    starts_after: list[Stage] = []  # … or when one of these is met
    met_with: list[Stage] = []  # met when one of these is met
    demands: list[str] = []  # only for complaints with one of these core demands (refund …)

    @model_validator(mode="after")
    def _second_after_first(self) -> "StageLimits":
        if self.second_extension is not None and self.extension is None:
            raise ValueError("second_extension: give the first extension too")
        if (self.second_extension is not None and self.extension is not None
                and self.second_extension.unit is self.extension.unit
                and self.second_extension.amount <= self.extension.amount):
            raise ValueError("second_extension: must be longer than extension (both count from the start)")
        return self

    def applies_to(self, demand: str) -> bool:
        return not self.demands or demand in self.demands

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


class ExclusionRule(_Strict):
    """Time that does not count toward any limit while it lasts, and the clause that says so."""

    source: str = Field("", max_length=200)


FACT_FIELDS = ("order_no", "product", "lot", "amount", "demand", "quantity_delivered", "quantity_defective",
               "attachments")


class RepeatPolicy(_Strict):
    """A repeat about the same matter inside the first complaint's handling period: without new facts
    it is merged into the first (linked, counted, no clock of its own); with new facts its own clocks
    run from its receipt."""

    merge: bool = False
    period: Stage = Stage.SOLUTION  # the first complaint's clock whose due time ends the period
    # Facts of the repeat that, given and different from the first's, count as new.
    new_fact_fields: list[str] = ["order_no", "lot", "amount", "demand", "quantity_defective", "attachments"]
    source: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _known_fields(self) -> "RepeatPolicy":
        unknown = sorted(set(self.new_fact_fields) - set(FACT_FIELDS))
        if unknown:
            raise ValueError(f"new_fact_fields: unknown {', '.join(unknown)}; known: {', '.join(FACT_FIELDS)}")
        return self


class TimeBar(_Strict):
    """A complaint about harm the customer knew of longer ago than `limit` is flagged as not acceptable."""

    limit: Duration
    channels: list[str] = []  # only for these channels (empty: all)
    source: str = Field("", max_length=200)

    def applies_to(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


class DeadlinePolicy(_Strict):
    calendar: CalendarPolicy = CalendarPolicy()
    stages: dict[Stage, StageLimits] = {}
    # Per channel, stage limits that replace the general ones (regulators' own limits).
    channels: dict[str, dict[Stage, StageLimits]] = {}
    escalation: EscalationPolicy = EscalationPolicy()
    # A complaint back from the customer within this many days reopens the old one instead.
    reopen_window_days: int = Field(30, ge=0)
    # Kinds of time excluded from every limit, e.g. {appraisal: {source: …}} (鉴定、检测、评估).
    excluded_time: dict[Literal["appraisal"], ExclusionRule] = {}
    repeats: RepeatPolicy = RepeatPolicy()
    time_bar: TimeBar | None = None

    @model_validator(mode="after")
    def _triggers(self) -> "DeadlinePolicy":
        tables = [("stages", self.stages)] + [(f"channels.{name}", table) for name, table in self.channels.items()]
        for where, table in tables:
            for stage, limits in table.items():
                triggers = limits.starts_with + limits.starts_after + limits.met_with
                if stage in MACHINE_STAGES and (triggers or limits.demands):
                    raise ValueError(f"{where}.{stage.value}: the handling machine starts and meets this stage; "
                                     "starts_with, starts_after, met_with and demands are for optional stages")
                if stage in triggers:
                    raise ValueError(f"{where}.{stage.value}: a stage cannot start or meet itself")
        return self

    def limits(self, stage: Stage, channel: str = "") -> StageLimits:
        found = self.defined(stage, channel)
        if found is None:
            raise KeyError(f"the policy defines no {stage.value} clock")
        return found

    def defined(self, stage: Stage, channel: str = "") -> StageLimits | None:
        """The stage's limits for this channel; None for an optional stage the policy does not switch on."""
        by_channel = self.channels.get(channel, {})
        return by_channel.get(stage) or self.stages.get(stage) or DEFAULT_STAGES.get(stage)

    def optional(self, channel: str = "") -> dict[Stage, StageLimits]:
        """The optional clocks switched on for complaints of this channel."""
        found = {stage: limits for stage in sorted(OPTIONAL_STAGES)
                 if (limits := self.defined(stage, channel)) is not None}
        return found

    def started_with(self, started: Iterable[Stage], *, channel: str, demand: str) -> set[Stage]:
        """Optional stages that start when these stages start."""
        started = set(started)
        return {stage for stage, limits in self.optional(channel).items()
                if started & set(limits.starts_with) and limits.applies_to(demand)}

    def started_after(self, met: Iterable[Stage], *, channel: str, demand: str) -> set[Stage]:
        met = set(met)
        return {stage for stage, limits in self.optional(channel).items()
                if met & set(limits.starts_after) and limits.applies_to(demand)}

    def met_with(self, met: Iterable[Stage], *, channel: str) -> set[Stage]:
        met = set(met)
        return {stage for stage, limits in self.optional(channel).items() if met & set(limits.met_with)}

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


def time_barred(known_on: date, received_at: datetime, bar: Duration, calendar: WorkCalendar) -> bool:
    """True when the complaint arrived after the bar had run from the day the harm was known (Art. 15:
    自知道或者应当知道权益受到侵害之日起超过三年)."""
    start = datetime.combine(known_on, time(0), tzinfo=calendar.tz)
    return calendar.local(received_at) >= due_at(start, bar, calendar) + _DAY_AFTER


_DAY_AFTER = relativedelta(days=1)  # the bar's last day still counts in full
