"""Workflow endpoints: thin — validate, fetch through the access helper, call an action, return."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict, model_validator

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.complaints.access import access_complaint, visible_complaints, visible_plans
from tousu.complaints.schemas import STRICT, Day, Text, errors
from tousu.complaints.schemas import Id as IdValue
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core import display
from tousu.timeline import WorkCalendar
from tousu.timeline.rules import Stage
from tousu.workflow.actions import approvals, clocks, deadlines, emergency
from tousu.workflow.actions.deadlines import clock_source
from tousu.workflow.actions.root_cause import record_root_cause
from tousu.workflow.actions.transfer import transfer
from tousu.workflow.actions.transitions import perform
from tousu.workflow.machine import TRANSITIONS, available_actions
from tousu.workflow.models import (
    Deadline,
    EmergencyMember,
    EmergencyPlan,
    MergedRepeat,
    Solution,
    root_cause_of,
)

router = Router(tags=["workflow"])
ERRORS = errors(400, 403, 404, 409, 422)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
TrackingNumber = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z0-9-]+$")]
# Usernames and department codes as Django stores them.
Username = Text(150, required=True)
Reason = Text(2000)


class DeadlineOut(Schema):
    stage: str
    limit: dict
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    paused_at: datetime | None
    overdue: bool
    escalation_level: int
    extended_at: datetime | None
    provisional: bool = False  # due in a year whose official holiday schedule is not published yet
    source: str = ""  # the clause the limit comes from
    second_extended_at: datetime | None = None
    excluded_seconds: float = 0  # appraisal, testing or assessment time not counted
    paused_seconds: float = 0  # time waiting for the customer
    pause_kind: str = ""  # customer or appraisal, while stopped
    outcome: str = ""  # mediation: agreed, ended, lapsed


class StepOut(Schema):
    order: int
    role: str
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    reason: str


class SolutionOut(Schema):
    id: int
    measures: str
    owner: str
    due_date: date
    expected_effect: str
    compensation: Decimal
    status: str
    proposed_by: str
    proposed_at: datetime
    steps: list[StepOut]


class WorkflowOut(Schema):
    tracking_number: str
    status: str
    waiting_since: datetime | None
    owner: str | None
    first_owner: str | None
    actions: list[str]
    deadlines: list[DeadlineOut]
    solutions: list[SolutionOut]
    root_cause: dict | None
    emergency_plans: list[dict]
    repeats: list[dict] = []  # repeats linked to this complaint (merged or with new facts)
    repeat_of: dict | None = None  # the first complaint this one repeats


def _name(user: User | None) -> str | None:
    return user.username if user else None


def _solution(solution: Solution) -> dict:
    return {
        "id": solution.pk, "measures": solution.measures, "owner": solution.owner.username,
        "due_date": solution.due_date, "expected_effect": solution.expected_effect,
        "compensation": solution.compensation, "status": solution.status,
        "proposed_by": solution.proposed_by.username, "proposed_at": solution.proposed_at,
        "steps": [{"order": s.order, "role": s.role, "decision": s.decision, "decided_by": _name(s.decided_by),
                   "decided_at": s.decided_at, "reason": s.reason} for s in solution.steps.all()],
    }


def _deadline(d: Deadline, now: datetime) -> dict:
    return {"stage": d.stage, "limit": d.duration, "started_at": d.started_at, "due_at": d.due_at, "met_at": d.met_at,
            "paused_at": d.paused_at, "overdue": d.is_overdue(now), "escalation_level": d.escalation_level,
            "extended_at": d.extended_at, "provisional": WorkCalendar.is_provisional(d.due_at.year),
            "source": clock_source(d), "second_extended_at": d.second_extended_at,
            "excluded_seconds": d.excluded_seconds, "paused_seconds": d.paused_seconds, "pause_kind": d.pause_kind,
            "outcome": d.outcome}


def workflow_view(complaint, user: User, now: datetime) -> dict:
    cause = root_cause_of(complaint)
    return {
        "tracking_number": complaint.tracking_number, "status": complaint.status,
        "waiting_since": complaint.waiting_since, "owner": _name(complaint.owner),
        "first_owner": _name(complaint.first_owner),
        "actions": [a.value for a in available_actions(complaint.status, user.role)] if user.can(Capability.HANDLE)
        else [],
        "deadlines": [_deadline(d, now) for d in complaint.deadlines.order_by("started_at", "id")],
        "solutions": [_solution(s) for s in complaint.solutions.select_related("owner", "proposed_by")
                      .prefetch_related("steps__decided_by")],
        "root_cause": None if cause is None else {
            "category": cause.category, "whys": cause.whys,
            "responsible_department": cause.responsible_department.code if cause.responsible_department else None,
            "responsible_person": _name(cause.responsible_person),
            "evidence": [a.pk for a in cause.evidence.all()]},
        "emergency_plans": [{"id": p.pk, "state": p.state, "title": p.title} for p in complaint.emergency_plans.all()],
        "repeats": [{"tracking_number": r.repeat.tracking_number, "merged": r.merged, "new_facts": r.new_facts}
                    for r in complaint.repeats.select_related("repeat")],
        "repeat_of": _repeat_of(complaint),
    }


def _repeat_of(complaint) -> dict | None:
    link = MergedRepeat.objects.filter(repeat=complaint).select_related("first").first()
    return None if link is None else {"tracking_number": link.first.tracking_number, "merged": link.merged,
                                      "new_facts": link.new_facts}


@router.get("/complaints/{tracking_number}/workflow", response={200: WorkflowOut, **errors(404, 422)})
def get_workflow(request: HttpRequest, tracking_number: TrackingNumber):
    """Status, the actions you may take now, every stage clock, solutions with their approval steps."""
    complaint = access_complaint(request.auth, tracking_number)
    return workflow_view(complaint, request.auth, timezone.now())


# Actions a person takes directly; the others are taken by the approval chain and the survey.
DirectAction = Annotated[Literal[tuple(a.value for a, t in TRANSITIONS.items() if t.direct)],  # type: ignore[misc]
                         Path()]
StageCode = Annotated[Literal[tuple(s.value for s in Stage)], Path()]  # type: ignore[misc]


class ReasonIn(Schema):
    model_config = STRICT

    reason: Reason = ""


class RequiredReasonIn(Schema):
    model_config = STRICT

    reason: Text(2000, required=True)


@router.post("/complaints/{tracking_number}/actions/{action}", response={200: WorkflowOut, **ERRORS})
def post_action(request: HttpRequest, tracking_number: TrackingNumber, action: DirectAction, payload: ReasonIn):
    """acknowledge, start_investigation, carry_out, request_feedback, close, archive, reopen (reason)."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    perform(complaint, action, by=request.auth, now=now, reason=payload.reason)
    return workflow_view(complaint, request.auth, now)


@router.post("/complaints/{tracking_number}/pause", response={200: WorkflowOut, **ERRORS})
def post_pause(request: HttpRequest, tracking_number: TrackingNumber, payload: RequiredReasonIn):
    """Wait for the customer: the stage clocks stop until `resume`."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    deadlines.pause(complaint, by=request.auth, reason=payload.reason, now=now)
    return workflow_view(complaint, request.auth, now)


@router.post("/complaints/{tracking_number}/resume", response={200: WorkflowOut, **ERRORS})
def post_resume(request: HttpRequest, tracking_number: TrackingNumber, payload: ReasonIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    deadlines.resume(complaint, by=request.auth, now=now, note=payload.reason)
    return workflow_view(complaint, request.auth, now)


@router.post("/complaints/{tracking_number}/deadlines/{stage}/extend", response={200: DeadlineOut, **ERRORS})
def post_extend(request: HttpRequest, tracking_number: TrackingNumber, stage: StageCode, payload: RequiredReasonIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    d = deadlines.extend(complaint, stage, by=request.auth, reason=payload.reason, now=now)
    return _deadline(d, now)


@router.post("/complaints/{tracking_number}/exclude-time", response={200: WorkflowOut, **ERRORS})
def post_exclude_time(request: HttpRequest, tracking_number: TrackingNumber, payload: RequiredReasonIn):
    """Appraisal, testing or assessment begins: the clocks stop and this time is not counted; the
    customer is told."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    deadlines.exclude_time(complaint, by=request.auth, reason=payload.reason, now=now)
    return workflow_view(complaint, request.auth, now)


@router.post("/complaints/{tracking_number}/end-exclusion", response={200: WorkflowOut, **ERRORS})
def post_end_exclusion(request: HttpRequest, tracking_number: TrackingNumber, payload: ReasonIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    deadlines.end_exclusion(complaint, by=request.auth, now=now, note=payload.reason)
    return workflow_view(complaint, request.auth, now)


class ExpectedIn(Schema):
    model_config = STRICT

    expected: Day = Field(description="after today")


@router.post("/complaints/{tracking_number}/expected-date", response={200: WorkflowOut, **ERRORS})
def post_expected_date(request: HttpRequest, tracking_number: TrackingNumber, payload: ExpectedIn):
    """The case needs longer: tell the customer the expected completion date (meets the delay notice)."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    clocks.notify_expected_date(complaint, by=request.auth, expected=payload.expected, now=now)
    return workflow_view(complaint, request.auth, now)


class NoteIn(Schema):
    model_config = STRICT

    note: Reason = ""


class RequiredNoteIn(Schema):
    model_config = STRICT

    note: Text(2000, required=True)


@router.post("/complaints/{tracking_number}/follow-ups", response={200: WorkflowOut, **ERRORS})
def post_follow_up(request: HttpRequest, tracking_number: TrackingNumber, payload: RequiredNoteIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    clocks.record_follow_up(complaint, by=request.auth, note=payload.note, now=now)
    return workflow_view(complaint, request.auth, now)


class MediationEndIn(Schema):
    model_config = STRICT

    agreed: bool = Field(strict=True)
    note: Reason = ""


@router.post("/complaints/{tracking_number}/mediation/end", response={200: WorkflowOut, **ERRORS})
def post_end_mediation(request: HttpRequest, tracking_number: TrackingNumber, payload: MediationEndIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    clocks.end_mediation(complaint, by=request.auth, agreed=payload.agreed, note=payload.note, now=now)
    return workflow_view(complaint, request.auth, now)


@router.post("/complaints/{tracking_number}/mediation/notice", response={200: WorkflowOut, **ERRORS})
def post_mediation_notice(request: HttpRequest, tracking_number: TrackingNumber, payload: NoteIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    now = timezone.now()
    clocks.tell_parties_mediation_ended(complaint, by=request.auth, note=payload.note, now=now)
    return workflow_view(complaint, request.auth, now)


class HarmKnownIn(Schema):
    model_config = STRICT

    harm_known_on: Day = Field(description="on or before the day the complaint was received")


class TimeBarOut(Schema):
    harm_known_on: date | None
    barred: bool
    limit: dict | None
    source: str


@router.post("/complaints/{tracking_number}/time-bar", response={200: TimeBarOut, **ERRORS})
def post_time_bar(request: HttpRequest, tracking_number: TrackingNumber, payload: HarmKnownIn):
    """When the customer knew of the harm; says whether the policy's time bar makes it not acceptable."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    check = clocks.check_time_bar(complaint, by=request.auth, harm_known_on=payload.harm_known_on,
                                  now=timezone.now())
    return {"harm_known_on": check.harm_known_on, "barred": check.barred, "limit": check.limit,
            "source": check.source}


class TransferIn(Schema):
    to_user: Username | None = None
    to_department: Text(20, required=True) | None = None  # department code
    reason: Text(2000, required=True)

    model_config = ConfigDict(**STRICT, json_schema_extra={  # type: ignore[typeddict-item]
        "anyOf": [{"required": [name], "properties": {name: {"type": "string"}}}
                  for name in ("to_user", "to_department")]})

    @model_validator(mode="after")
    def _somebody(self) -> "TransferIn":
        if not self.to_user and not self.to_department:
            raise ValueError(_("name the person (to_user) or the department (to_department) to transfer to"))
        return self


def _user(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise IntakeError([FieldError(field, _("no such user"))])
    return user


@router.post("/complaints/{tracking_number}/transfer", response={200: WorkflowOut, **ERRORS})
def post_transfer(request: HttpRequest, tracking_number: TrackingNumber, payload: TransferIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    department = None
    if payload.to_department:
        department = Department.objects.filter(code=payload.to_department).first()
        if department is None:
            raise IntakeError([FieldError("to_department", _("no such department"))])
    now = timezone.now()
    transfer(complaint, by=request.auth, reason=payload.reason, now=now,
             to_user=_user(payload.to_user, "to_user"), to_department=department)
    return workflow_view(complaint, request.auth, now)


class SolutionIn(Schema):
    model_config = STRICT

    measures: Text(5000, required=True)
    owner: Username  # who carries it out
    due_date: Day = Field(description="today or later")
    expected_effect: Text(5000) = ""
    compensation: Annotated[float, Field(ge=0, le=100_000_000)] = 0


@router.post("/complaints/{tracking_number}/solutions", response={201: SolutionOut, **ERRORS})
def post_solution(request: HttpRequest, tracking_number: TrackingNumber, payload: SolutionIn):
    """Propose a solution; it goes up the approval chain the policy sets for its amount and risk."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    data = approvals.SolutionInput(measures=payload.measures, owner=_user(payload.owner, "owner"),
                                   due_date=payload.due_date, expected_effect=payload.expected_effect,
                                   compensation=Decimal(str(payload.compensation)))
    solution = approvals.propose_solution(complaint, data, by=request.auth, now=timezone.now())
    return Status(201, _solution(solution))


class DecisionIn(Schema):
    model_config = STRICT

    approve: bool = Field(strict=True)
    reason: Reason = Field(default="", description="required to reject")


@router.post("/solutions/{solution_id}/decision", response={200: SolutionOut, **ERRORS})
def post_decision(request: HttpRequest, solution_id: Id, payload: DecisionIn):
    solution = Solution.objects.select_related("complaint").filter(pk=solution_id).first()
    if solution is None or not visible_complaints(request.auth).filter(pk=solution.complaint_id).exists():
        raise Http404("no such solution")
    approvals.decide(solution, by=request.auth, approve=payload.approve, reason=payload.reason, now=timezone.now())
    return _solution(Solution.objects.get(pk=solution.pk))


class RootCauseIn(Schema):
    model_config = STRICT

    category: Text(100, required=True)
    whys: list[Text(2000, required=True)] = Field(min_length=1, max_length=5, description="answers to “why?”")
    responsible_department: Text(20, required=True) | None = None
    responsible_person: Username | None = None
    evidence: list[IdValue] = Field(default=[], max_length=100)


class RootCauseOut(Schema):
    category: str
    whys: list[str]
    evidence: list[int]


@router.put("/complaints/{tracking_number}/root-cause", response={200: RootCauseOut, **ERRORS})
def put_root_cause(request: HttpRequest, tracking_number: TrackingNumber, payload: RootCauseIn):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    department = None
    if payload.responsible_department:
        department = Department.objects.filter(code=payload.responsible_department).first()
        if department is None:
            raise IntakeError([FieldError("responsible_department", _("no such department"))])
    cause = record_root_cause(complaint, by=request.auth, category=payload.category, whys=payload.whys,
                              now=timezone.now(), responsible_department=department,
                              responsible_person=_user(payload.responsible_person, "responsible_person"),
                              evidence_ids=payload.evidence)
    return {"category": cause.category, "whys": cause.whys, "evidence": [a.pk for a in cause.evidence.all()]}


class PlanOut(Schema):
    id: int
    title: str
    state: str
    proposed_at: datetime
    golden_due_at: datetime
    activated_at: datetime | None
    closed_at: datetime | None
    closing_review: str
    complaints: list[str]
    members: list[dict]
    log: list[dict]


def _plan(plan: EmergencyPlan) -> dict:
    return {
        "id": plan.pk, "title": plan.title, "state": plan.state, "proposed_at": plan.proposed_at,
        "golden_due_at": plan.golden_due_at, "activated_at": plan.activated_at, "closed_at": plan.closed_at,
        "closing_review": plan.closing_review,
        "complaints": [c.tracking_number for c in plan.complaints.all()],
        "members": [{"user": m.user.username, "role": m.team_role} for m in plan.members.select_related("user")],
        # `text` in the reader's language; `event` and `data` are the stored code and its facts.
        "log": [{"kind": e.kind, "event": e.event, "data": e.data, "text": display.emergency_log_text(e),
                 "by": _name(e.by), "at": e.at} for e in plan.log.select_related("by")],
    }


def _plan_for(user: User, plan_id: int) -> EmergencyPlan:
    return get_object_or_404(visible_plans(user), pk=plan_id)


@router.get("/emergencies", response={200: list[PlanOut], **errors(422)})
def list_plans(request: HttpRequest,
               state: Query[Literal[tuple(EmergencyPlan.State.values)] | None] = None):  # type: ignore[valid-type]
    plans = visible_plans(request.auth)
    if state:
        plans = plans.filter(state=state)
    return [_plan(p) for p in plans[:200]]


@router.get("/emergencies/{plan_id}", response={200: PlanOut, **errors(404, 422)})
def get_plan(request: HttpRequest, plan_id: Id):
    return _plan(_plan_for(request.auth, plan_id))


class MemberIn(Schema):
    model_config = STRICT

    user: Username
    role: Literal[tuple(EmergencyMember.TeamRole.values)]  # type: ignore[valid-type]


class ActivateIn(Schema):
    model_config = STRICT

    team: list[MemberIn] = Field(default=[], max_length=50)


@router.post("/emergencies/{plan_id}/activate", response={200: PlanOut, **ERRORS})
def post_activate(request: HttpRequest, plan_id: Id, payload: ActivateIn):
    plan = _plan_for(request.auth, plan_id)
    team = [(_user(m.user, "team"), m.role) for m in payload.team]
    emergency.activate(plan, by=request.auth, now=timezone.now(), team=team)
    return _plan(plan)


@router.post("/emergencies/{plan_id}/decline", response={200: PlanOut, **ERRORS})
def post_decline(request: HttpRequest, plan_id: Id, payload: RequiredReasonIn):
    plan = _plan_for(request.auth, plan_id)
    emergency.decline(plan, by=request.auth, reason=payload.reason, now=timezone.now())
    return _plan(plan)


class ReportIn(Schema):
    model_config = STRICT

    kind: Literal["action", "progress"] = "progress"
    text: Text(5000, required=True)


@router.post("/emergencies/{plan_id}/log", response={200: PlanOut, **ERRORS})
def post_report(request: HttpRequest, plan_id: Id, payload: ReportIn):
    plan = _plan_for(request.auth, plan_id)
    emergency.report(plan, by=request.auth, kind=payload.kind, text=payload.text, now=timezone.now())
    return _plan(plan)


class LinkIn(Schema):
    model_config = STRICT

    tracking_number: Annotated[str, Field(max_length=16, pattern=r"^[A-Za-z0-9-]+$")]


@router.post("/emergencies/{plan_id}/complaints", response={200: PlanOut, **ERRORS})
def post_link(request: HttpRequest, plan_id: Id, payload: LinkIn):
    plan = _plan_for(request.auth, plan_id)
    emergency.link(plan, access_complaint(request.auth, payload.tracking_number), by=request.auth, now=timezone.now())
    return _plan(plan)


class CloseIn(Schema):
    model_config = STRICT

    closing_review: Text(5000, required=True)


@router.post("/emergencies/{plan_id}/close", response={200: PlanOut, **ERRORS})
def post_close(request: HttpRequest, plan_id: Id, payload: CloseIn):
    plan = _plan_for(request.auth, plan_id)
    emergency.close_plan(plan, by=request.auth, review=payload.closing_review, now=timezone.now())
    return _plan(plan)
