from datetime import datetime
from typing import Annotated, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from tousu.accounts.roles import Capability
from tousu.assessments.actions.cases import mark_reference_case
from tousu.assessments.cases import similar_cases
from tousu.assessments.models import Incident
from tousu.assessments.trends import rising_trends
from tousu.complaints.access import AccessDenied, access_complaint, visible_complaints
from tousu.complaints.schemas import STRICT, Text, errors
from tousu.intake.consequences import override_risk
from tousu.intake.incidents import close_incident

router = Router(tags=["risk"])


Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
TrackingNumber = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z0-9-]+$")]


class OverrideIn(Schema):
    model_config = STRICT

    level: Literal["high", "medium", "low"]
    reason: Text(2000, required=True)


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


@router.get("/complaints/{tracking_number}/risk", response={200: RiskOut, **errors(404, 422)})
def get_risk(request: HttpRequest, tracking_number: TrackingNumber):
    """Every assessment (newest first, with its policy version and reasons) and every override."""
    complaint = access_complaint(request.auth, tracking_number)
    return {
        "risk_level": complaint.risk_level, "assessed_level": complaint.assessed_level,
        "possible_high_risk": complaint.possible_high_risk,
        "assessments": complaint.assessments.select_related("policy_version").order_by("-assessed_at", "-id"),
        "overrides": complaint.risk_overrides.select_related("by", "assessment").order_by("-at", "-id"),
    }


@router.post("/complaints/{tracking_number}/risk-override",
             response={201: OverrideOut, **errors(400, 403, 404, 409, 422)})
def post_override(request: HttpRequest, tracking_number: TrackingNumber, payload: OverrideIn):
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
    model_config = STRICT

    note: Text(2000, required=True)


@router.get("/incidents", response={200: list[IncidentOut], **errors(422)})
def list_incidents(request: HttpRequest, state: Query[Literal["open", "closed"] | None] = None):
    """Mass-incident warnings (R-RA-9), newest first; only complaints you may see are listed in each."""
    incidents = Incident.objects.prefetch_related("attributes", Prefetch(
        "complaints", queryset=visible_complaints(request.auth).only("id", "tracking_number")))
    if state:
        incidents = incidents.filter(state=state)
    return [i for i in incidents[:200] if request.auth.can(Capability.VIEW_ALL_DEPARTMENTS) or i.complaints.all()]


@router.post("/incidents/{incident_id}/close", response={200: IncidentOut, **errors(400, 403, 404, 409, 422)})
def post_close_incident(request: HttpRequest, incident_id: Id, payload: CloseIncidentIn):
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


@router.get("/trends", response={200: TrendsOut, **errors(403, 422)}, by_alias=True)
def get_trends(request: HttpRequest, days: int | None = Query(None, ge=1, le=3660)):
    """Rising complaint types and products (R-RP-4), each with its count, baseline, expected count and
    Poisson significance; for those who read reports."""
    if not request.auth.can(Capability.VIEW_REPORTS):
        raise AccessDenied("reading trends needs the view_reports capability")
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


@router.get("/complaints/{tracking_number}/similar", response={200: list[SimilarCaseOut], **errors(404, 422)})
def get_similar(request: HttpRequest, tracking_number: TrackingNumber,
                k: int = Query(5, ge=1, le=50)):
    """The most similar past cases you may see (reference cases and closed complaints), with how each was
    solved (R-RP-3)."""
    complaint = access_complaint(request.auth, tracking_number)
    return similar_cases(complaint, user=request.auth, k=k)


class ReferenceCaseIn(Schema):
    model_config = STRICT

    solution: Text(5000, required=True)
    outcome: Text(5000, required=True)


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
             response={201: ReferenceCaseOut, **errors(400, 403, 404, 409, 422)})
def post_reference_case(request: HttpRequest, tracking_number: TrackingNumber, payload: ReferenceCaseIn):
    """Keep a closed complaint in the case library with its solution and outcome."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    case = mark_reference_case(complaint, by=request.auth, solution=payload.solution, outcome=payload.outcome,
                               now=timezone.now())
    return Status(201, case)
