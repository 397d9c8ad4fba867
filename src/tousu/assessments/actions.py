"""Assessing and overriding: the only places a complaint's risk fields change (R-RA-6, R-RA-7)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.history import history_for, month_start
from tousu.assessments.learning import flags_possible_high_risk, suggestion_record, suggestions_for
from tousu.assessments.models import PolicyVersion, RiskAssessment, RiskOverride
from tousu.assessments.policies import active_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import FieldError, IntakeError
from tousu.risk import Assessment, Facts, History, Policy, assess
from tousu.risk.learning import Suggestion

RISK_FIELDS = ("risk_level", "assessed_level", "severity_grade", "priority", "emergency", "complaint_type",
               "defect_grade", "possible_high_risk")


_FACT_FIELDS = ("text", "channel", "amount", "customer_level", "product", "lot", "region",
                "quantity_delivered", "quantity_defective")


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
        "possible_high_risk": flags_possible_high_risk(suggestion, result.risk_level.value),
    }


def assessment_row(complaint_id: int, version: PolicyVersion, result: Assessment, *, trigger: str,
                   now: datetime, suggestion: Suggestion | None = None) -> RiskAssessment:
    return RiskAssessment(
        complaint_id=complaint_id, policy_version=version, risk_level=result.risk_level.value,
        severity_grade=result.severity_grade, priority=result.priority.value, emergency=result.emergency,
        complaint_type=result.complaint_type, complaint_subtype=result.complaint_subtype,
        defect_grade=result.defect_grade.value if result.defect_grade else "",
        factors=list(result.factors), reasons=[r.as_dict() for r in result.reasons], trigger=trigger,
        suggestion=suggestion_record(suggestion), assessed_at=now)


def assess_complaint(complaint: Complaint, *, now: datetime, trigger: str, by: User | None = None,
                     policy: tuple[PolicyVersion, Policy] | None = None, history: History | None = None,
                     only_if_changed: bool = False) -> RiskAssessment | None:
    """Assess with the active policy, store the result with its version, update the complaint.

    With `only_if_changed`, a result equal to the latest stored one stores nothing and returns None, so
    re-assessing neighbours of a new complaint does not bury each history under identical rows."""
    version, rules = policy or active_policy()
    with transaction.atomic():
        # Intake sees the world as it was when the complaint arrived; a later re-assessment sees it now.
        until = complaint.received_at if trigger == "intake" else max(now, complaint.received_at)
        result = assess(facts_of(complaint), history or history_for(complaint, rules, until=until), rules)
        suggestion = suggestions_for([complaint.text])[0]
        row = assessment_row(complaint.pk, version, result, trigger=trigger, now=now, suggestion=suggestion)
        if only_if_changed:
            latest = complaint.assessments.order_by("-assessed_at", "-id").first()
            if latest is not None and _outcome(latest) == _outcome(row):
                return None
        row.save()
        latest_override = complaint.risk_overrides.order_by("-at", "-id").first() if trigger != "intake" else None
        values = risk_values(result, latest_override.level if latest_override else None, suggestion)
        before = {name: getattr(complaint, name) for name in RISK_FIELDS}
        Complaint.objects.filter(pk=complaint.pk).update(**values)
        for name, value in values.items():
            setattr(complaint, name, value)
        ComplaintEvent.objects.create(
            complaint=complaint, kind=EventKind.ASSESSED, actor=by, at=now,
            data={"trigger": trigger, "policy": f"{version.name} {version.version}", "before": before,
                  "after": values, "factors": list(result.factors)})
    return row


def _outcome(row: RiskAssessment) -> tuple:
    return (row.policy_version_id, row.risk_level, row.severity_grade, row.priority, row.emergency,
            row.complaint_type, row.defect_grade, sorted(row.factors))


OPEN_EXCLUDED = ("closed", "archived")


def related_open_complaints(complaint: Complaint, policy: Policy) -> dict[str, list[Complaint]]:
    """Open complaints whose assessment reads facts this complaint just changed: the same lot's totals
    (defect rate), the same customer's repeats, the same product's problems this month."""
    others = Complaint.objects.exclude(pk=complaint.pk).exclude(status__in=OPEN_EXCLUDED)
    related: dict[str, list[Complaint]] = {}
    if complaint.lot:
        related["lot_changed"] = list(others.filter(lot=complaint.lot))
    customer = Q()
    if complaint.phone:
        customer |= Q(phone=complaint.phone)
    if complaint.email:
        customer |= Q(email=complaint.email)
    if customer:
        since = complaint.received_at - timedelta(days=policy.repetition.window_days)
        related["repeat"] = list(others.filter(customer, received_at__gte=since))
    if complaint.product and complaint.complaint_type:
        related["same_problem"] = list(others.filter(
            product=complaint.product, complaint_type=complaint.complaint_type,
            received_at__gte=month_start(complaint.received_at)))
    return related


def reassess_related(complaint: Complaint, *, now: datetime, by: User | None = None,
                     policy: tuple[PolicyVersion, Policy] | None = None) -> list[RiskAssessment]:
    """Re-assess the neighbours of a new or changed complaint; store only the results that differ."""
    version, rules = policy or active_policy()
    seen: set[int] = set()
    changed = []
    for trigger, complaints in related_open_complaints(complaint, rules).items():
        for other in complaints:
            if other.pk in seen:
                continue
            seen.add(other.pk)
            row = assess_complaint(other, now=now, trigger=trigger, by=by, policy=(version, rules),
                                   only_if_changed=True)
            if row is not None:
                changed.append(row)
    return changed


def reassess_neighbours_of_batch(batch_ids: set[int], *, lots: set[str], customers: set[str], now: datetime,
                                 by: User | None, policy: tuple[PolicyVersion, Policy]) -> list[RiskAssessment]:
    """After an import: complaints stored before it whose lot totals or repeat count the batch changed.
    (Rows inside the batch were assessed with running totals already.)"""
    if not lots and not customers:
        return []
    _version, rules = policy
    since = now - timedelta(days=rules.repetition.window_days)
    neighbours = (Complaint.objects.exclude(status__in=OPEN_EXCLUDED)
                  .filter(Q(lot__in=lots) | Q(phone__in=customers, received_at__gte=since)))
    changed = []
    for other in neighbours.iterator():
        if other.pk in batch_ids:
            continue
        trigger = "lot_changed" if other.lot in lots else "repeat"
        row = assess_complaint(other, now=now, trigger=trigger, by=by, policy=policy, only_if_changed=True)
        if row is not None:
            changed.append(row)
    return changed


def override_risk(complaint: Complaint, *, level: str, reason: str, by: User, now: datetime) -> RiskOverride:
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
        ComplaintEvent.objects.create(
            complaint=complaint, kind=EventKind.RISK_OVERRIDDEN, actor=by, at=now, note=override.reason,
            data={"before": before, "after": level, "assessed_level": assessment.risk_level})
    return override
