"""The complaints behind a figure: the filters the review's links carry, turned into a queryset with the
very conditions the figure was counted with (figures.py). Tests follow every link of a review and find
the figure's count here."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.assessments.policies import active_policy
from tousu.complaints.access import visible_complaints
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.reports import figures
from tousu.reports.cohort import Cohort
from tousu.reports.period import Period, parse_day
from tousu.timeline import SHANGHAI
from tousu.workflow.models import Deadline, EmergencyPlan, Escalation, Solution, Survey

MAX_DAYS = 366
CLOCK_STATES = ("on_time", "late", "overdue", "paused", "running", "met")


def reader_scope(user: User | None) -> QuerySet[Complaint] | None:
    """The complaints a reader's figures may count; None: every complaint (no need to filter)."""
    if user is None or user.can(Capability.VIEW_ALL_DEPARTMENTS):
        return None
    return visible_complaints(user)


def parse_scope(params: Mapping, *, default: Period | None = None, required: bool = True) -> tuple[Period | None, str]:
    """The period (`from`, `to`) and department (`department`, a code) of a request; IntakeError names
    the bad field."""
    errors, days = [], {}
    for name in ("from", "to"):
        text = (params.get(name) or "").strip()
        if not text:
            continue
        try:
            days[name] = parse_day(text)
        except ValueError:
            errors.append(FieldError(name, _("give a date such as 2026-11-30")))
    period = default
    if not errors and days:
        if len(days) == 1:
            errors.append(FieldError("to" if "from" in days else "from", _("give both dates of the period")))
        elif days["to"] < days["from"]:
            errors.append(FieldError("to", _("the period ends before it starts")))
        elif (days["to"] - days["from"]).days + 1 > MAX_DAYS:
            errors.append(FieldError("to", _("a review covers at most %(days)s days") % {"days": MAX_DAYS}))
        else:
            period = Period(days["from"], days["to"])
    if not errors and period is None and required:
        errors.append(FieldError("from", _("give the period's first and last day")))
    department = (params.get("department") or "").strip()
    if department and not Department.objects.filter(code=department).exists():
        errors.append(FieldError("department", _("no such department")))
    if errors:
        raise IntakeError(errors)
    return period, department


@dataclass(frozen=True)
class Drill:
    period: Period | None
    department: str
    visible: QuerySet | None
    now: datetime

    @property
    def cohort(self) -> Cohort:
        if self.period is None:
            raise IntakeError([FieldError("from", _("this figure needs a period"))])
        return Cohort(self.period, self.department, self.visible)

    def base(self) -> QuerySet[Complaint]:
        if self.period is not None:
            return self.cohort.complaints()
        complaints = Complaint.objects.all() if self.visible is None else self.visible
        if self.department:
            complaints = complaints.filter(department__code=self.department)
        return complaints.order_by()

    def complaints(self, params: Mapping) -> QuerySet[Complaint]:
        complaints = self.base()
        for name, value in params.items():
            apply = _FILTERS.get(name)
            if apply is not None:
                complaints = apply(self, complaints, value, params)
        return complaints


def _clock(state: str, now: datetime) -> Q:
    return {
        "on_time": Q(met_at__isnull=False, met_at__lte=F("due_at")),
        "late": Q(met_at__isnull=False, met_at__gt=F("due_at")),
        "met": Q(met_at__isnull=False),
        "overdue": Q(met_at__isnull=True, paused_at__isnull=True, due_at__lt=now),
        "paused": Q(met_at__isnull=True, paused_at__isnull=False),
        "running": Q(met_at__isnull=True, paused_at__isnull=True, due_at__gte=now),
    }.get(state, Q())


def _stage(drill: Drill, complaints, value, params):
    clocks = Deadline.objects.filter(complaint=OuterRef("pk"), stage=value)
    state = params.get("clock", "")
    if state:
        if state not in CLOCK_STATES:
            raise IntakeError([FieldError("clock", _("one of: %(list)s") % {"list": ", ".join(CLOCK_STATES)})])
        clocks = clocks.filter(_clock(state, drill.now))
    limit = params.get("limit", "")
    if limit:
        unit, _sep, amount = limit.partition(":")
        try:
            clocks = clocks.filter(**{f"duration__{unit}": float(amount)})
        except ValueError:
            raise IntakeError([FieldError("limit", _("a limit such as working_days:5"))]) from None
    return complaints.filter(Exists(clocks))


def _exact(field: str):
    def apply(drill, complaints, value, params):
        return complaints.filter(**{field: value})
    return apply


def _grade(drill, complaints, value, params):
    if value == "":
        return complaints.filter(severity_grade__isnull=True)
    try:
        return complaints.filter(severity_grade=int(value))
    except ValueError:
        raise IntakeError([FieldError("grade", _("a grade is 1, 2 or 3"))]) from None


def _department(drill, complaints, value, params):
    return complaints.filter(department__isnull=True) if value == "" else complaints.filter(department__code=value)


def _flag(condition_of):
    def apply(drill, complaints, value, params):
        condition = condition_of(drill, value)
        return complaints.filter(condition) if value not in ("0", "false") else complaints.exclude(condition)
    return apply


def _repeat(drill, complaints, value, params):
    kind = value if value in ("customer", "matter") else "any"
    _version, policy = active_policy()
    return complaints.filter(pk__in=figures.repeat_ids(drill.cohort, policy.repetition.window_days, kind))


def _trait(trait: str):
    def apply(drill, complaints, value, params):
        return complaints.filter(pk__in=figures.trait_ids(drill.cohort, trait, value))
    return apply


def _score(drill, complaints, value, params):
    try:
        score = int(value)
    except ValueError:
        raise IntakeError([FieldError("score", _("a score from 1 to 5"))]) from None
    return complaints.filter(Exists(Survey.objects.filter(complaint=OuterRef("pk"), score=score)))


def _survey(drill, complaints, value, params):
    surveys = Survey.objects.filter(complaint=OuterRef("pk"))
    if value == "answered":
        surveys = surveys.filter(score__isnull=False)
    elif value == "unsatisfied":
        from tousu.workflow.actions.survey import UNSATISFIED_AT_MOST

        surveys = surveys.filter(score__lte=UNSATISFIED_AT_MOST)
    return complaints.filter(Exists(surveys))


def _escalation(drill, complaints, value, params):
    escalations = Escalation.objects.filter(complaint=OuterRef("pk"))
    if value != "any":
        escalations = escalations.filter(step=value)
    return complaints.filter(Exists(escalations))


def _escalated_stage(drill, complaints, value, params):
    return complaints.filter(Exists(Escalation.objects.filter(complaint=OuterRef("pk"), deadline__stage=value)))


def _plan(drill, complaints, value, params):
    links = EmergencyPlan.complaints.through.objects.filter(complaint_id=OuterRef("pk"))
    if value != "any":
        links = links.filter(emergencyplan__state=value)
    return complaints.filter(Exists(links))


def _improvement(drill, complaints, value, params):
    solutions = Solution.objects.filter(complaint=OuterRef("pk"))
    if value != "any":
        solutions = figures.improvement_state_of(solutions, drill.now.astimezone(SHANGHAI).date()).filter(state=value)
    return complaints.filter(Exists(solutions))


def _plan_id(drill, complaints, value, params):
    return complaints.filter(Exists(EmergencyPlan.complaints.through.objects.filter(
        complaint_id=OuterRef("pk"), emergencyplan_id=_number(value, "plan_id"))))


def _incident(drill, complaints, value, params):
    from tousu.assessments.models import Incident

    return complaints.filter(Exists(Incident.complaints.through.objects.filter(
        complaint_id=OuterRef("pk"), incident_id=_number(value, "incident"))))


def _number(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise IntakeError([FieldError(field, _("a number"))]) from None


def _open(drill, complaints, value, params):
    return complaints.exclude(status__in=ENDED) if value == "1" else complaints.filter(status__in=ENDED)


def _overdue(drill, complaints, value, params):
    late = Deadline.objects.filter(complaint=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True,
                                   due_at__lt=drill.now)
    return complaints.filter(Exists(late))


_FILTERS = {
    "type": _exact("complaint_type"), "level": _exact("risk_level"), "grade": _grade,
    "defect_grade": _exact("defect_grade"), "channel": _exact("channel"), "region": _exact("region"),
    "product": _exact("product"), "lot": _exact("lot"), "dept": _department, "status": _exact("status"),
    "emergency": _flag(lambda drill, value: Q(emergency=True)),
    "stage": _stage,
    "reopened": _flag(lambda drill, value: figures.reopened_condition()),
    "repeat": _repeat, "factor": _trait("factor"), "rule": _trait("rule"),
    "score": _score, "survey": _survey,
    "cause": _exact("root_cause__category"),
    "has_cause": _flag(lambda drill, value: Q(root_cause__isnull=False)),
    "escalation": _escalation, "escalated_stage": _escalated_stage,
    "plan": _plan, "plan_id": _plan_id, "incident": _incident, "improvement": _improvement,
    "open": _open, "overdue": _overdue,
}


# How the list of a figure names its filters: the filter's words and the value's (STYLE.md 14).
_FILTER_WORDS = {
    "type": (gettext_lazy("complaint type"), "type"),
    "level": (gettext_lazy("risk level"), "level"),
    "grade": (gettext_lazy("severity grade"), "grade"),
    "defect_grade": (gettext_lazy("defect grade"), "defect_grade"),
    "channel": (gettext_lazy("channel"), "channel"),
    "region": (gettext_lazy("region"), ""),
    "product": (gettext_lazy("product / model"), ""),
    "lot": (gettext_lazy("production lot"), ""),
    "dept": (gettext_lazy("department"), "department"),
    "status": (gettext_lazy("status"), "status"),
    "stage": (gettext_lazy("stage"), "stage"),
    "clock": (gettext_lazy("state"), "clock"),
    "limit": (gettext_lazy("limit"), ""),
    "emergency": (gettext_lazy("emergency"), ""),
    "reopened": (gettext_lazy("Reopened"), ""),
    "repeat": (gettext_lazy("Repeats"), ""),
    "factor": (gettext_lazy("Risk factors"), "factor"),
    "rule": (gettext_lazy("Rules"), ""),
    "score": (gettext_lazy("score"), ""),
    "survey": (gettext_lazy("Satisfaction"), ""),
    "cause": (gettext_lazy("cause category"), ""),
    "has_cause": (gettext_lazy("cause category"), ""),
    "escalation": (gettext_lazy("step"), "step"),
    "escalated_stage": (gettext_lazy("Escalations"), "stage"),
    "plan": (gettext_lazy("Emergency plans"), "plan_state"),
    "plan_id": (gettext_lazy("Emergency plans"), ""),
    "incident": (gettext_lazy("Mass-incident warnings"), ""),
    "improvement": (gettext_lazy("Improvement actions"), "improvement"),
    "open": (gettext_lazy("Open complaints"), ""),
    "overdue": (gettext_lazy("overdue"), ""),
}
_CLOCK_WORDS = {"on_time": gettext_lazy("on time"), "late": gettext_lazy("late"), "overdue": gettext_lazy("overdue"),
                "paused": gettext_lazy("paused"), "running": gettext_lazy("running"), "met": gettext_lazy("met")}


def describe(params: Mapping, departments: dict[str, str]) -> list[tuple[str, str]]:
    """(filter, value) in words for the filters of a figure's list."""
    from tousu.reports.labels import label_of

    described = []
    for name, value in params.items():
        if name not in _FILTER_WORDS:
            continue
        words, dimension = _FILTER_WORDS[name]
        if dimension == "clock":
            shown = str(_CLOCK_WORDS.get(value, value))
        elif dimension == "grade" and value.isdigit():
            shown = label_of("grade", int(value))
        elif dimension:
            shown = label_of(dimension, value, departments=departments)
        else:
            shown = value
        described.append((str(words), shown))
    return described
