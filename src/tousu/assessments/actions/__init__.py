"""Assessing and overriding: the only places a complaint's risk fields change (R-RA-6, R-RA-7).

Each function returns what changed (`Reassessment`: the stored assessments and each complaint's risk
fields before); it never starts clocks or proposes plans itself. The intake pipeline (`tousu.intake`), a
layer above, applies those consequences."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.history import histories_now, history_for, lot_totals, month_of
from tousu.assessments.learning import (
    assess_with_model,
    flags_possible_high_risk,
    suggestion_record,
    suggestions_for,
)
from tousu.assessments.models import PolicyVersion, RiskAssessment, RiskOverride
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint, same_customer, same_lot_or_product
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core.bulk import insert_rows
from tousu.risk import Assessment, Facts, Policy
from tousu.risk.learning import Suggestion
from tousu.risk.neighbours import lot_crossed, repeat_crossed, same_problem_crossed, scope_crossed

RISK_FIELDS = ("risk_level", "assessed_level", "severity_grade", "priority", "emergency", "complaint_type",
               "defect_grade", "problem_key", "possible_high_risk")


# The columns of an assessment as `insert_rows(RiskAssessment, ASSESSMENT_COLUMNS, …)` takes them.
ASSESSMENT_COLUMNS = ("complaint", "policy_version", "risk_level", "severity_grade", "priority", "emergency",
                      "complaint_type", "complaint_subtype", "defect_grade", "factors", "reasons", "suggestion",
                      "trigger", "assessed_at")
_FACT_FIELDS = ("text", "channel", "amount", "customer_level", "product", "lot", "region",
                "quantity_delivered", "quantity_defective")


@dataclass(frozen=True)
class LevelChange:
    """A complaint whose risk fields were just rewritten, as it is now, with its risk fields before."""
    complaint: Complaint
    before: dict

    @property
    def limits_changed(self) -> bool:
        """The level or the emergency flag moved: the running time limits follow."""
        c = self.complaint
        return (self.before.get("risk_level"), self.before.get("emergency")) != (c.risk_level, c.emergency)

    @property
    def became_emergency(self) -> bool:
        c = self.complaint
        return bool(c.emergency and not self.before.get("emergency") and c.status not in ENDED)


@dataclass
class Reassessment:
    """What a (re-)assessment stored: the new assessment rows (as written, bulk rows without ids) and the
    complaints whose risk fields changed."""
    rows: list[RiskAssessment] = field(default_factory=list)
    changes: list[LevelChange] = field(default_factory=list)

    def __iadd__(self, other: "Reassessment") -> "Reassessment":
        self.rows += other.rows
        self.changes += other.changes
        return self


def facts_of(source) -> Facts:
    """Facts from a stored Complaint or an incoming IntakeData (they share the field names)."""
    return Facts(**{name: getattr(source, name) for name in _FACT_FIELDS})


def risk_values(result: Assessment, override_level: str | None = None,
                suggestion: Suggestion | None = None) -> dict:
    return {
        "risk_level": override_level or result.risk_level.value,
        "assessed_level": result.risk_level.value,
        "severity_grade": result.severity_grade,
        "priority": result.priority.value,
        "emergency": result.emergency,
        "complaint_type": result.complaint_type,
        "defect_grade": result.defect_grade.value if result.defect_grade else "",
        "problem_key": result.problem_key,
        "possible_high_risk": flags_possible_high_risk(suggestion, result.risk_level.value),
    }


def assessment_values(complaint_id: int, version: PolicyVersion, result: Assessment, *, trigger: str,
                      now: datetime, suggestion: Suggestion | None = None) -> tuple:
    """A stored assessment as the values of `ASSESSMENT_COLUMNS`, in that order."""
    return (complaint_id, version.pk, result.risk_level.value, result.severity_grade, result.priority.value,
            result.emergency, result.complaint_type, result.complaint_subtype,
            result.defect_grade.value if result.defect_grade else "", list(result.factors),
            [r.as_dict() for r in result.reasons], suggestion_record(suggestion), trigger, now)


_ASSESSMENT_ATTNAMES = tuple(RiskAssessment._meta.get_field(name).attname for name in ASSESSMENT_COLUMNS)


def assessment_row(complaint_id: int, version: PolicyVersion, result: Assessment, *, trigger: str,
                   now: datetime, suggestion: Suggestion | None = None) -> RiskAssessment:
    return RiskAssessment(**dict(zip(_ASSESSMENT_ATTNAMES, assessment_values(
        complaint_id, version, result, trigger=trigger, now=now, suggestion=suggestion), strict=True)))


def assess_complaint(complaint: Complaint, *, now: datetime, trigger: str, by: User | None = None,
                     policy: tuple[PolicyVersion, Policy] | None = None,
                     only_if_changed: bool = False) -> Reassessment:
    """Assess with the active policy, store the result with its version, update the complaint.

    With `only_if_changed`, a result equal to the latest stored one stores nothing, so re-assessing
    neighbours of a new complaint does not bury each history under identical rows."""
    version, rules = policy or active_policy()
    with transaction.atomic(savepoint=False):
        # Intake sees the world as it was when the complaint arrived; a later re-assessment sees it now.
        until = complaint.received_at if trigger == "intake" else max(now, complaint.received_at)
        suggestion = suggestions_for([complaint.text])[0]
        result = assess_with_model(facts_of(complaint), history_for(complaint, rules, until=until), rules, suggestion)
        row = assessment_row(complaint.pk, version, result, trigger=trigger, now=now, suggestion=suggestion)
        if only_if_changed:
            latest = complaint.assessments.order_by("-assessed_at", "-id").first()
            if latest is not None and _outcome(latest) == _outcome(row):
                return Reassessment()
        row.save()
        latest_override = complaint.risk_overrides.order_by("-at", "-id").first() if trigger != "intake" else None
        values = risk_values(result, latest_override.level if latest_override else None, suggestion)
        before, data = _apply(complaint, values, result, trigger=trigger, version=version)
        Complaint.objects.filter(pk=complaint.pk).update(**values)
        events.assessed(complaint.pk, by=by, at=now, data=data)
    return Reassessment([row], [LevelChange(complaint, before)] if trigger != "intake" else [])


def _apply(complaint: Complaint, values: dict, result: Assessment, *, trigger: str,
           version: PolicyVersion) -> tuple[dict, dict]:
    """Set the new risk values on the instance; its values before, and the data of its "assessed" event."""
    before = {name: getattr(complaint, name) for name in RISK_FIELDS}
    for name, value in values.items():
        setattr(complaint, name, value)
    return before, {"trigger": trigger, "policy": f"{version.name} {version.version}", "before": before,
                    "after": values, "factors": list(result.factors)}


def _outcome(row: RiskAssessment) -> tuple:
    return (row.policy_version_id, row.risk_level, row.severity_grade, row.priority, row.emergency,
            row.complaint_type, row.defect_grade, sorted(row.factors))


def _open_others(complaint: Complaint):
    return Complaint.objects.exclude(pk=complaint.pk).exclude(status__in=ENDED)


def _swapped(total: int | None, current: int | None, previous: int | None) -> int | None:
    """A lot total as it was with this complaint's `previous` quantity instead of its `current` one."""
    return previous if total is None else total - (current or 0) + (previous or 0)


def crossed_neighbours(complaint: Complaint, rules: Policy, *, now: datetime,
                       quantities_before: tuple[int | None, int | None] | None = None) -> dict[str, Any]:
    """Querysets of open neighbours whose assessment this complaint's arrival (or change) may have
    changed: only groups where a count or rate crossed a policy threshold. `quantities_before` is the
    complaint's own (delivered, defective) before a correction; by default it was not there at all."""
    groups: dict[str, Any] = {}
    others = _open_others(complaint)
    if complaint.lot:
        after = lot_totals([complaint.lot]).get(complaint.lot, (None, None))
        own_before = quantities_before or (None, None)
        before = (_swapped(after[0], complaint.quantity_delivered, own_before[0]),
                  _swapped(after[1], complaint.quantity_defective, own_before[1]))
        if lot_crossed(rules, before, after):
            groups["lot_changed"] = others.filter(lot=complaint.lot)
    if quantities_before is not None:
        return groups  # a correction of facts adds no complaint to any count
    # Each group: (the complaints it counts, did its count just cross a threshold with this one?)
    candidates = []
    customer = same_customer(complaint)
    if customer:
        since = now - timedelta(days=rules.repetition.window_days)
        candidates.append(("repeat", Q(customer, received_at__gte=since), repeat_crossed))
    same_thing = same_lot_or_product(complaint)
    if same_thing:
        since = now - timedelta(days=rules.scope.window_days)
        candidates.append(("similar", Q(same_thing, received_at__gte=since), scope_crossed))
    if complaint.product and complaint.problem_key and rules.manufacturing is not None:
        start, end = month_of(complaint.received_at)
        candidates.append(("same_problem", Q(product=complaint.product, problem_key=complaint.problem_key,
                                             received_at__gte=start, received_at__lt=end),
                           same_problem_crossed))
    for trigger, members, crossed in candidates:
        size = Complaint.objects.filter(members).count()
        if crossed(rules, size - 1, size):
            groups[trigger] = others.filter(members)
    return groups


def _reassess_groups(groups: dict[str, Any], *, now: datetime, by: User | None,
                     policy: tuple[PolicyVersion, Policy]) -> Reassessment:
    """Each complaint once, under the first group (trigger) that holds it."""
    targets: dict[int, tuple[Complaint, str]] = {}
    for trigger, complaints in groups.items():
        for other in complaints.iterator():
            targets.setdefault(other.pk, (other, trigger))
    return reassess_many(list(targets.values()), now=now, by=by, policy=policy)


def reassess_many(targets: Sequence[tuple[Complaint, str]], *, now: datetime, by: User | None = None,
                  policy: tuple[PolicyVersion, Policy] | None = None,
                  open_incidents: tuple[set[tuple[str, str]], set[str]] | None = None) -> Reassessment:
    """`assess_complaint(c, trigger=t, only_if_changed=True)` for each (c, t), with the histories, the
    latest assessments and overrides read by a few grouped queries and the changes written in bulk: an
    import that makes a thousand earlier complaints repeats re-assesses them in about a second, not a
    minute. Returns the assessments stored (those that changed), as written: without their ids, and the
    complaints whose risk fields changed. `open_incidents`: as `histories_now` takes it."""
    if not targets:
        return Reassessment()
    version, rules = policy or active_policy()
    complaints = [c for c, _trigger in targets]
    histories = histories_now([c for c in complaints if c.received_at <= now], rules, now,
                              open_incidents=open_incidents)
    for c in complaints:
        if c.pk not in histories:  # received "in the future" (clock drift): seen as of its own arrival
            histories[c.pk] = history_for(c, rules, until=c.received_at)
    latest = _latest_by_complaint(RiskAssessment.objects.only(
        "complaint_id", "policy_version_id", "risk_level", "severity_grade", "priority", "emergency",
        "complaint_type", "defect_grade", "factors"), [c.pk for c in complaints], "-assessed_at")
    changed = []
    for (c, trigger), suggestion in zip(targets, suggestions_for([c.text for c in complaints]), strict=True):
        result = assess_with_model(facts_of(c), histories[c.pk], rules, suggestion)
        row = assessment_row(c.pk, version, result, trigger=trigger, now=now, suggestion=suggestion)
        old = latest.get(c.pk)
        if old is None or _outcome(old) != _outcome(row):
            changed.append((c, row, result, suggestion))
    if not changed:
        return Reassessment()
    with transaction.atomic(savepoint=False):
        rows = [row for _c, row, _r, _s in changed]
        insert_rows(RiskAssessment, ASSESSMENT_COLUMNS, ([getattr(row, a) for a in _ASSESSMENT_ATTNAMES] for row in rows))
        overrides = _latest_by_complaint(RiskOverride.objects.only("complaint_id", "level"),
                                         [c.pk for c, *_rest in changed], "-at")
        by_values: dict[tuple, list[int]] = {}
        rows_of_events, changes = [], []
        for c, row, result, suggestion in changed:
            override = overrides.get(c.pk)
            values = risk_values(result, override.level if override else None, suggestion)
            before, data = _apply(c, values, result, trigger=row.trigger, version=version)
            by_values.setdefault(tuple(values.items()), []).append(c.pk)
            rows_of_events.append(events.assessed_row(c.pk, by=by, at=now, data=data))
            changes.append(LevelChange(c, before))
        for values, ids in by_values.items():
            for start in range(0, len(ids), 500):
                Complaint.objects.filter(pk__in=ids[start:start + 500]).update(**dict(values))
        events.record_many(rows_of_events)
    return Reassessment(rows, changes)


def _latest_by_complaint(queryset, ids: Sequence[int], newest_first: str) -> dict[int, Any]:
    """The newest row per complaint (by `newest_first`, then id) among `ids`."""
    latest: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        for row in queryset.filter(complaint_id__in=ids[start:start + 500]).order_by("complaint_id", newest_first,
                                                                                      "-id"):
            latest.setdefault(row.complaint_id, row)
    return latest


def reassess_related(complaint: Complaint, *, now: datetime, by: User | None = None,
                     policy: tuple[PolicyVersion, Policy] | None = None,
                     quantities_before: tuple[int | None, int | None] | None = None) -> Reassessment:
    """Re-assess the open neighbours of a new or changed complaint where a threshold was crossed; store
    only the results that differ."""
    version, rules = policy or active_policy()
    groups = crossed_neighbours(complaint, rules, now=now, quantities_before=quantities_before)
    return _reassess_groups(groups, now=now, by=by, policy=(version, rules))


def reassess_after_batch(*, lots: dict[str, tuple[tuple, tuple]], phones: dict[str, tuple[int, int]],
                         now: datetime, by: User | None, policy: tuple[PolicyVersion, Policy]) -> Reassessment:
    """After an import: lots whose defect rate and customers whose repeat count crossed a threshold
    between the start and the end of the batch get their open complaints (stored before the batch or
    early in it) re-assessed."""
    _version, rules = policy
    crossed_lots = [lot for lot, (before, after) in lots.items() if lot_crossed(rules, before, after)]
    crossed_phones = [phone for phone, (before, after) in phones.items() if repeat_crossed(rules, before, after)]
    groups: dict[str, Any] = {}
    open_complaints = Complaint.objects.exclude(status__in=ENDED)
    if crossed_lots:
        groups["lot_changed"] = open_complaints.filter(lot__in=crossed_lots)
    if crossed_phones:
        since = now - timedelta(days=rules.repetition.window_days)
        groups["repeat"] = open_complaints.filter(phone__in=crossed_phones, received_at__gte=since)
    return _reassess_groups(groups, now=now, by=by, policy=policy)


def override_risk(complaint: Complaint, *, level: str, reason: str, by: User,
                  now: datetime) -> tuple[RiskOverride, LevelChange]:
    if not by.can(Capability.OVERRIDE_RISK):
        raise AccessDenied("this role may not override a risk level")
    errors = []
    if level not in ("high", "medium", "low"):
        errors.append(FieldError("level", _("use one of: high, medium, low")))
    if not reason or not reason.strip():
        errors.append(FieldError("reason", _("an override needs a reason")))
    assessment = complaint.assessments.order_by("-assessed_at", "-id").first()
    if assessment is None:
        errors.append(FieldError("level", _("the complaint has not been assessed yet")))
    if errors:
        raise IntakeError(errors)
    with transaction.atomic():
        override = RiskOverride.objects.create(complaint=complaint, assessment=assessment, level=level,
                                               reason=reason.strip(), by=by, at=now)
        before = complaint.risk_level
        Complaint.objects.filter(pk=complaint.pk).update(risk_level=level)
        complaint.risk_level = level
        events.risk_overridden(complaint.pk, by=by, at=now, reason=override.reason, before=before, after=level,
                               assessed_level=assessment.risk_level)
    return override, LevelChange(complaint, {"risk_level": before, "emergency": complaint.emergency})
