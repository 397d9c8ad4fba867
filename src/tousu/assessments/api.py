from datetime import datetime

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from tousu.accounts.roles import Capability
from tousu.assessments.actions.cases import mark_reference_case
from tousu.assessments.cases import similar_cases
from tousu.assessments.models import Incident
from tousu.assessments.trends import rising_trends
from tousu.complaints.access import AccessDenied, access_complaint, visible_complaints
from tousu.complaints.schemas import ErrorOut
from tousu.complaints.validation import FieldError, IntakeError
from tousu.intake.consequences import override_risk
from tousu.intake.incidents import close_incident

router = Router(tags=["risk"])


class OverrideIn(Schema):
    level: str
    reason: str


class OverrideOut(Schema):
    level: str
    assessed_level: str
    reason: str
    by: str
    at: datetime

    @staticmethod
    def resolve_by(obj) -> str:
        return obj.by.username

    @staticmethod
    def resolve_assessed_level(obj) -> str:
        return obj.assessment.risk_level


class AssessmentOut(Schema):
    risk_level: str
    severity_grade: int
    priority: str
    emergency: bool
    complaint_type: str
    defect_grade: str
    factors: list[str]
    reasons: list[dict]
    suggestion: dict
    policy: str
    trigger: str
    assessed_at: datetime

    @staticmethod
    def resolve_policy(obj) -> str:
        return f"{obj.policy_version.name} {obj.policy_version.version}"


class RiskOut(Schema):
    risk_level: str
    assessed_level: str
    possible_high_risk: bool
    assessments: list[AssessmentOut]
    overrides: list[OverrideOut]


@router.get("/complaints/{tracking_number}/risk", response={200: RiskOut, 404: ErrorOut})
def get_risk(request: HttpRequest, tracking_number: str):
    """Every assessment (newest first, with its policy version and reasons) and every override."""
    complaint = access_complaint(request.auth, tracking_number)
    return {
        "risk_level": complaint.risk_level, "assessed_level": complaint.assessed_level,
        "possible_high_risk": complaint.possible_high_risk,
        "assessments": complaint.assessments.select_related("policy_version").order_by("-assessed_at", "-id"),
        "overrides": complaint.risk_overrides.select_related("by", "assessment").order_by("-at", "-id"),
    }


@router.post("/complaints/{tracking_number}/risk-override",
             response={201: OverrideOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def post_override(request: HttpRequest, tracking_number: str, payload: OverrideIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    override = override_risk(complaint, level=payload.level, reason=payload.reason, by=request.auth,
                             now=timezone.now())
    return Status(201, override)


class IncidentOut(Schema):
    id: int
    key: str
    value: str
    state: str
    opened_at: datetime
    count_at_open: int
    expected: float
    p_value: float
    attributes: list[dict]
    emergency_plan: int | None
    complaints: list[str]
    closed_at: datetime | None
    note: str

    @staticmethod
    def resolve_complaints(obj) -> list[str]:
        return [c.tracking_number for c in obj.complaints.all()]

    @staticmethod
    def resolve_attributes(obj) -> list[dict]:
        return [{"key": a.key, "value": a.value, "count": a.count, "expected": a.expected, "p_value": a.p_value}
                for a in obj.attributes.all()]

    @staticmethod
    def resolve_emergency_plan(obj) -> int | None:
        return obj.emergency_plan_id


class CloseIncidentIn(Schema):
    note: str


@router.get("/incidents", response=list[IncidentOut])
def list_incidents(request: HttpRequest, state: str | None = None):
    """Mass-incident warnings (R-RA-9), newest first; only complaints you may see are listed in each."""
    incidents = Incident.objects.prefetch_related("attributes", Prefetch(
        "complaints", queryset=visible_complaints(request.auth).only("id", "tracking_number")))
    if state:
        incidents = incidents.filter(state=state)
    return [i for i in incidents[:200] if request.auth.can(Capability.VIEW_ALL_DEPARTMENTS) or i.complaints.all()]


@router.post("/incidents/{incident_id}/close", response={200: IncidentOut, 403: ErrorOut, 404: ErrorOut,
                                                         422: ErrorOut})
def post_close_incident(request: HttpRequest, incident_id: int, payload: CloseIncidentIn):
    incident = get_object_or_404(Incident, pk=incident_id)
    return close_incident(incident, by=request.auth, note=payload.note, now=timezone.now())



class TrendOut(Schema):
    key: str
    value: str
    count: int
    baseline_count: int
    expected: float
    ratio: float | None
    p_value: float


class TrendsOut(Schema):
    from_: datetime = Field(alias="from")
    to: datetime
    baseline_from: datetime
    days: int
    baseline_weeks: int
    rising: list[TrendOut]


@router.get("/trends", response={200: TrendsOut, 403: ErrorOut, 422: ErrorOut}, by_alias=True)
def get_trends(request: HttpRequest, days: int | None = None):
    """Rising complaint types and products (R-RP-4), each with its count, baseline, expected count and
    Poisson significance; for those who read reports."""
    if not request.auth.can(Capability.VIEW_REPORTS):
        raise AccessDenied("reading trends needs the view_reports capability")
    if days is not None and days < 1:
        raise IntakeError([FieldError("days", _("at least 1"))])
    return rising_trends(timezone.now(), days=days)


class SimilarCaseOut(Schema):
    tracking_number: str
    text: str
    complaint_type: str
    similarity: float
    reference: bool
    status: str
    closed_at: datetime | None
    solution: str
    outcome: str
    compensation: str | None
    satisfaction: int | None


@router.get("/complaints/{tracking_number}/similar", response={200: list[SimilarCaseOut], 404: ErrorOut})
def get_similar(request: HttpRequest, tracking_number: str, k: int = 5):
    """The most similar past cases you may see (reference cases and closed complaints), with how each was
    solved (R-RP-3)."""
    complaint = access_complaint(request.auth, tracking_number)
    return similar_cases(complaint, user=request.auth, k=max(1, min(k, 50)))


class ReferenceCaseIn(Schema):
    solution: str
    outcome: str


class ReferenceCaseOut(Schema):
    tracking_number: str
    solution: str
    outcome: str
    marked_by: str
    marked_at: datetime

    @staticmethod
    def resolve_tracking_number(obj) -> str:
        return obj.complaint.tracking_number

    @staticmethod
    def resolve_marked_by(obj) -> str:
        return obj.marked_by.username


@router.post("/complaints/{tracking_number}/reference-case",
             response={201: ReferenceCaseOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def post_reference_case(request: HttpRequest, tracking_number: str, payload: ReferenceCaseIn):
    """Keep a closed complaint in the case library with its solution and outcome."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    case = mark_reference_case(complaint, by=request.auth, solution=payload.solution, outcome=payload.outcome,
                               now=timezone.now())
    return Status(201, case)
