"""Words for the codes a review counts, in the reader's language: the data stores codes (STYLE.md 14)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tousu.complaints.choices import Channel, Status
from tousu.core import display
from tousu.workflow.models import STAGE_CHOICES, EmergencyPlan, Solution

# The words the pages use everywhere (core.display), so a level or a stage reads the same in the review.
LEVELS, GRADES, DEFECT_GRADES, TYPES, FACTORS = (display.LEVELS, display.GRADES, display.DEFECT_GRADES,
                                                 display.TYPES, display.FACTORS)
ESCALATION_STEPS = {"owner": gettext_lazy("Owner"), "manager": gettext_lazy("Department manager"),
                    "leader": gettext_lazy("Emergency-team leader")}
STAGES = {**dict(STAGE_CHOICES), **display.STAGES}
CHANNELS = dict(Channel.choices)
STATUSES = dict(Status.choices)
PLAN_STATES = {**dict(EmergencyPlan.State.choices), **display.PLAN_STATES}
# An improvement action is a solution; approved ones are split by whether they were carried out.
IMPROVEMENT_STATES = {
    Solution.Decision.PENDING.value: gettext_lazy("Waiting for approval"),
    Solution.Decision.REJECTED.value: gettext_lazy("Rejected"),
    "approved": gettext_lazy("Approved, not carried out yet"),
    "overdue": gettext_lazy("Approved, past its due date"),
    "carried_out": gettext_lazy("Carried out"),
}
UNITS = {"hours": gettext_lazy("hours"), "working_hours": gettext_lazy("working hours"),
         "working_days": gettext_lazy("working days"), "days": gettext_lazy("days")}


def not_given() -> str:
    return _("(not given)")


def label_of(dimension: str, code, *, policy=None, departments: dict | None = None) -> str:
    """The word for `code` of `dimension` (type, level, grade, …); the code itself where none is known."""
    if code in ("", None):
        return not_given()
    if dimension == "type":
        if code in TYPES:
            return str(TYPES[code])
        for rule in getattr(policy, "types", []):
            if rule.id == code:
                return rule.label
        return str(code)
    if dimension == "factor":
        if code in FACTORS:
            return str(FACTORS[code])
        factor = getattr(policy, "factors", {}).get(code)
        return factor.label if factor is not None and factor.label else str(code)
    if dimension == "department":
        return (departments or {}).get(code, str(code))
    table = {"level": LEVELS, "grade": GRADES, "defect_grade": DEFECT_GRADES, "channel": CHANNELS,
             "status": STATUSES, "stage": STAGES, "step": ESCALATION_STEPS, "plan_state": PLAN_STATES,
             "improvement": IMPROVEMENT_STATES, "unit": UNITS}.get(dimension)
    if table is not None and code in table:
        return str(table[code])
    return str(code)


def limit_label(duration: dict) -> str:
    """A stage limit in words: {"working_days": 5} → 5 个工作日 / 5 working days."""
    unit, amount = next(iter(duration.items()))
    whole = float(amount).is_integer()
    n = int(amount) if whole else amount
    count = int(amount) if whole else 2  # 1.5 hours: the plural
    words = {
        "hours": lambda: ngettext("%(n)s hour", "%(n)s hours", count),
        "working_hours": lambda: ngettext("%(n)s working hour", "%(n)s working hours", count),
        "working_days": lambda: ngettext("%(n)s working day", "%(n)s working days", count),
        "days": lambda: ngettext("%(n)s day", "%(n)s days", count),
        "months": lambda: ngettext("%(n)s month", "%(n)s months", count),
    }.get(unit)
    return words() % {"n": n} if words else f"{n} {unit}"
