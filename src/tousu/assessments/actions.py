"""Assessing and overriding: the only places a complaint's risk fields change (R-RA-6, R-RA-7)."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.history import history_for
from tousu.assessments.models import PolicyVersion, RiskAssessment, RiskOverride
from tousu.assessments.policies import active_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import FieldError, IntakeError
from tousu.risk import Assessment, Facts, History, Policy, assess

RISK_FIELDS = ("risk_level", "assessed_level", "severity_grade", "priority", "emergency", "complaint_type",
               "defect_grade")


_FACT_FIELDS = ("text", "channel", "amount", "customer_level", "product", "lot", "region",
                "quantity_delivered", "quantity_defective")


def facts_of(source) -> Facts:
    """Facts from a stored Complaint or an incoming IntakeData (they share the field names)."""
    return Facts(**{name: getattr(source, name) for name in _FACT_FIELDS})


def risk_values(result: Assessment, override_level: str | None = None) -> dict:
    return {
        "risk_level": override_level or result.risk_level.value,
        "assessed_level": result.risk_level.value,
        "severity_grade": result.severity_grade,
        "priority": result.priority.value,
        "emergency": result.emergency,
        "complaint_type": result.complaint_type,
        "defect_grade": result.defect_grade.value if result.defect_grade else "",
    }


def assessment_row(complaint_id: int, version: PolicyVersion, result: Assessment, *, trigger: str,
                   now: datetime) -> RiskAssessment:
    return RiskAssessment(
        complaint_id=complaint_id, policy_version=version, risk_level=result.risk_level.value,
        severity_grade=result.severity_grade, priority=result.priority.value, emergency=result.emergency,
        complaint_type=result.complaint_type, complaint_subtype=result.complaint_subtype,
        defect_grade=result.defect_grade.value if result.defect_grade else "",
        factors=list(result.factors), reasons=[r.as_dict() for r in result.reasons], trigger=trigger,
        assessed_at=now)


def assess_complaint(complaint: Complaint, *, now: datetime, trigger: str, by: User | None = None,
                     policy: tuple[PolicyVersion, Policy] | None = None,
                     history: History | None = None) -> RiskAssessment:
    """Assess with the active policy, store the result with its version, update the complaint."""
    version, rules = policy or active_policy()
    with transaction.atomic():
        result = assess(facts_of(complaint), history or history_for(complaint, rules), rules)
        row = assessment_row(complaint.pk, version, result, trigger=trigger, now=now)
        row.save()
        latest_override = complaint.risk_overrides.order_by("-at", "-id").first() if trigger != "intake" else None
        values = risk_values(result, latest_override.level if latest_override else None)
        before = {name: getattr(complaint, name) for name in RISK_FIELDS}
        Complaint.objects.filter(pk=complaint.pk).update(**values)
        for name, value in values.items():
            setattr(complaint, name, value)
        ComplaintEvent.objects.create(
            complaint=complaint, kind=EventKind.ASSESSED, actor=by, at=now,
            data={"trigger": trigger, "policy": f"{version.name} {version.version}", "before": before,
                  "after": values, "factors": list(result.factors)})
    return row


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
