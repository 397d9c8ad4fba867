"""Pages for the workflow: the handling card on a complaint, emergency plans, the public survey."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tousu.accounts.roles import Capability
from tousu.assessments.models import Incident
from tousu.assessments.policies import active_policy
from tousu.complaints.access import AccessDenied, access_complaint, visible_complaints, visible_plans
from tousu.complaints.choices import ENDED
from tousu.complaints.validation import IntakeError
from tousu.core import display
from tousu.core.throttle import client_address, hit
from tousu.intake.incidents import close_incident
from tousu.timeline.rules import Stage
from tousu.workflow.actions import approvals, clocks, deadlines, emergency
from tousu.workflow.actions.feedback import answer_survey
from tousu.workflow.actions.root_cause import record_root_cause
from tousu.workflow.actions.survey import survey_link
from tousu.workflow.actions.transfer import transfer
from tousu.workflow.actions.transitions import perform
from tousu.workflow.clock_card import clock_card
from tousu.workflow.forms import (
    ActivateForm,
    DecisionForm,
    DeclineForm,
    ExcludeTimeForm,
    ExpectedDateForm,
    ExtendForm,
    FollowUpForm,
    LinkForm,
    MediationEndForm,
    NoteForm,
    PauseForm,
    ReasonForm,
    ReportForm,
    ReviewForm,
    RootCauseForm,
    SolutionForm,
    SurveyForm,
    TimeBarForm,
    TransferForm,
)
from tousu.workflow.machine import PAUSABLE, available_actions
from tousu.workflow.models import (
    EmergencyPlan,
    PauseKind,
    RootCause,
    Solution,
    Survey,
    TimeBarCheck,
    root_cause_of,
)


def handling_context(complaint, user, now) -> dict:
    """What the complaint page shows and offers about handling, for this user."""
    _version, policy = active_policy()
    limits, _calendar = deadlines.rules()
    may_handle = user.can(Capability.HANDLE)
    solutions = list(complaint.solutions.select_related("owner", "proposed_by").prefetch_related("steps__decided_by"))
    decidable = {}
    for solution in solutions:
        step = approvals.current_step(solution) if solution.status == Solution.Decision.PENDING else None
        if step is not None and approvals.may_decide_step(user, solution, step):
            decidable[solution.pk] = step
    cause = root_cause_of(complaint)
    stage_clocks = list(complaint.deadlines.order_by("started_at", "id"))
    deadlines.annotate_clocks(stage_clocks, complaint, user, now)
    card = clock_card(stage_clocks, now=now, limits=limits)
    running = {c.stage: c for c in card.current if c.met_at is None}
    stopped = complaint.clock_pauses.filter(ended_at__isnull=True).first()
    survey = complaint.surveys.first()
    working = may_handle and complaint.status not in ENDED
    bar = limits.time_bar
    return {
        "actions": available_actions(complaint.status, user.role) if may_handle else [],
        "clocks": card.current, "earlier_clocks": card.earlier, "calendars": card.calendars, "now": now,
        "any_extendable": any(c.extendable for c in card.current),
        "may_pause": may_handle and complaint.status in PAUSABLE and stopped is None
        and complaint.waiting_since is None,
        "may_resume": may_handle and complaint.waiting_since is not None,
        "may_exclude": may_handle and complaint.status in PAUSABLE and stopped is None
        and complaint.waiting_since is None and "appraisal" in limits.excluded_time,
        "may_end_exclusion": may_handle and stopped is not None and stopped.kind == PauseKind.APPRAISAL,
        "excluded_since": stopped.started_at if stopped is not None and stopped.kind == PauseKind.APPRAISAL else None,
        "may_expect": working,
        "may_follow_up": may_handle and any(stage in running for stage in (Stage.FIRST_FOLLOW_UP, Stage.SECOND_FOLLOW_UP)),
        "may_end_mediation": may_handle and Stage.MEDIATION in running
        and running[Stage.MEDIATION].paused_at is None,
        "may_tell_mediation": may_handle and Stage.MEDIATION_NOTICE in running,
        "may_time_bar": may_handle and bar is not None and bar.applies_to(complaint.channel),
        "time_bar_check": TimeBarCheck.objects.filter(complaint=complaint).first(),
        "time_bar_source": bar.source if bar is not None else "",
        "may_transfer": user.can(Capability.TRANSFER) and complaint.status not in ENDED,
        "may_propose": may_handle and complaint.status == "investigating",
        "solutions": solutions, "decidable": decidable,
        "root_cause": cause, "may_record_cause": may_handle,
        "survey": survey, "survey_link": survey_link(survey) if survey else "",
        "plans": complaint.emergency_plans.all(),
        "reopen_form": ReasonForm(), "transfer_form": TransferForm(),
        "solution_form": SolutionForm(), "decision_form": DecisionForm(), "decision_solution": None,
        "pause_form": PauseForm(),
        "resume_form": NoteForm(), "extend_form": ExtendForm(), "extend_stage": "",
        "exclude_form": ExcludeTimeForm(), "end_exclusion_form": NoteForm(), "expected_form": ExpectedDateForm(),
        "follow_up_form": FollowUpForm(), "mediation_end_form": MediationEndForm(),
        "mediation_notice_form": NoteForm(), "time_bar_form": TimeBarForm(),
        "cause_form": RootCauseForm(categories=policy.workflow.cause_categories,
                                    attachments=complaint.attachments.all(),
                                    initial=_cause_initial(cause)),
    }


def _cause_initial(cause: RootCause | None) -> dict:
    if cause is None:
        return {}
    initial = {"category": cause.category, "responsible_department": cause.responsible_department_id,
               "responsible_person": cause.responsible_person_id,
               "evidence": [str(a.pk) for a in cause.evidence.all()]}
    initial.update({f"why{i}": why for i, why in enumerate(cause.whys, start=1)})
    return initial


def _label(field: str, form=None) -> str:
    if form is not None and field in form.fields and form.fields[field].label:
        return str(form.fields[field].label)
    return str(display.FIELD_NAMES.get(field, field))


def _on_complaint(request: HttpRequest, tracking_number: str, work: Callable, done: str,
                  form=None, key: str = "", extra: dict | None = None) -> HttpResponse:
    """The complaint page's forms: fetch the complaint, check the form, run `work(complaint, now)`. A form
    that fails comes back on the complaint page, open, with what was typed and each error beside its field."""
    complaint = access_complaint(request.user, tracking_number)
    if not request.user.can(Capability.HANDLE) and not request.user.can(Capability.APPROVE):
        raise PermissionDenied(_("your role may not do this"))
    if form is not None and not form.is_valid():
        return _again(request, complaint, form, key, extra)
    try:
        work(complaint, timezone.now())
    except AccessDenied:
        raise PermissionDenied(_("your role may not do this")) from None
    except IntakeError as exc:
        if form is None or not key:
            for error in exc.errors:
                messages.error(request, _("%(field)s: %(reason)s") % {"field": _label(error.field), "reason": error.reason})
            return redirect("complaints:detail", tracking_number=complaint.tracking_number)
        for error in exc.errors:
            form.add_error(error.field if error.field in form.fields else None, error.reason)
        return _again(request, complaint, form, key, extra)
    messages.success(request, done)
    return redirect("complaints:detail", tracking_number=complaint.tracking_number)


def _again(request: HttpRequest, complaint, form, key: str, extra: dict | None = None) -> HttpResponse:
    if not key:
        _form_errors(request, form)
        return redirect("complaints:detail", tracking_number=complaint.tracking_number)
    from tousu.complaints.views.staff import complaint_page

    return complaint_page(request, complaint, forms={key: form, **(extra or {})}, status=422)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        messages.error(request, _("%(field)s: %(reason)s") % {"field": _label(field, form), "reason": " ".join(errors)})


@login_required
@require_POST
def act(request: HttpRequest, tracking_number: str, action: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    return _on_complaint(request, tracking_number,
                         lambda c, now: perform(c, action, by=request.user, now=now,
                                                reason=form.cleaned_data.get("reason", "")),
                         str(ACTION_DONE.get(action, _("Done."))), form=form,
                         key="reopen_form" if action == "reopen" else "")


@login_required
@require_POST
def pause(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = PauseForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: deadlines.pause(c, by=request.user, reason=form.cleaned_data["reason"], now=now),
                         _("The clocks stand still until the customer answers."), form=form, key="pause_form")


@login_required
@require_POST
def resume(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = NoteForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: deadlines.resume(c, by=request.user, now=now, note=form.cleaned_data["note"]),
                         _("Clocks running again."), form=form, key="resume_form")


@login_required
@require_POST
def extend(request: HttpRequest, tracking_number: str, stage: str) -> HttpResponse:
    form = ExtendForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: deadlines.extend(c, stage, by=request.user, reason=form.cleaned_data["reason"],
                                                         now=now),
                         _("Deadline extended."), form=form, key="extend_form", extra={"extend_stage": stage})


@login_required
@require_POST
def exclude_time(request: HttpRequest, tracking_number: str) -> HttpResponse:
    """Appraisal, testing or assessment begins: the clocks stop and the time is not counted."""
    form = ExcludeTimeForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: deadlines.exclude_time(c, by=request.user, reason=form.cleaned_data["reason"],
                                                               now=now),
                         _("The clocks stand still while the appraisal runs; the customer was told."),
                         form=form, key="exclude_form")


@login_required
@require_POST
def end_exclusion(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = NoteForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: deadlines.end_exclusion(c, by=request.user, now=now,
                                                                note=form.cleaned_data["note"]),
                         _("Appraisal done: the clocks run again and its time is not counted."),
                         form=form, key="end_exclusion_form")


@login_required
@require_POST
def expected_date(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = ExpectedDateForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: clocks.notify_expected_date(c, by=request.user,
                                                                    expected=form.cleaned_data["expected"], now=now),
                         _("The customer was told the expected completion date."), form=form, key="expected_form")


@login_required
@require_POST
def follow_up(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = FollowUpForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: clocks.record_follow_up(c, by=request.user, note=form.cleaned_data["note"],
                                                                now=now),
                         _("Follow-up recorded."), form=form, key="follow_up_form")


@login_required
@require_POST
def mediation_end(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = MediationEndForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: clocks.end_mediation(c, by=request.user, agreed=form.cleaned_data["agreed"],
                                                             note=form.cleaned_data["note"], now=now),
                         _("Mediation ended."), form=form, key="mediation_end_form")


@login_required
@require_POST
def mediation_notice(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = NoteForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: clocks.tell_parties_mediation_ended(c, by=request.user,
                                                                            note=form.cleaned_data["note"], now=now),
                         _("Both parties were told that mediation ended."), form=form, key="mediation_notice_form")


@login_required
@require_POST
def time_bar(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = TimeBarForm(request.POST)
    return _on_complaint(request, tracking_number,
                         lambda c, now: clocks.check_time_bar(c, by=request.user,
                                                              harm_known_on=form.cleaned_data["harm_known_on"],
                                                              now=now),
                         _("Time bar checked."), form=form, key="time_bar_form")


@login_required
@require_POST
def transfer_view(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = TransferForm(request.POST)
    return _on_complaint(request, tracking_number, lambda c, now: transfer(
        c, by=request.user, reason=form.cleaned_data["reason"], now=now, to_user=form.cleaned_data["to_user"],
        to_department=form.cleaned_data["to_department"]), _("Transferred."), form=form, key="transfer_form")


@login_required
@require_POST
def propose(request: HttpRequest, tracking_number: str) -> HttpResponse:
    form = SolutionForm(request.POST)
    return _on_complaint(request, tracking_number, lambda c, now: approvals.propose_solution(
        c, approvals.SolutionInput(**form.cleaned_data), by=request.user, now=now),
        _("Solution sent for approval."), form=form, key="solution_form")


@login_required
@require_POST
def decide(request: HttpRequest, solution_id: int) -> HttpResponse:
    solution = get_object_or_404(Solution.objects.select_related("complaint"), pk=solution_id)
    if not visible_complaints(request.user).filter(pk=solution.complaint_id).exists():
        raise Http404("no such solution")
    form = DecisionForm(request.POST)
    return _on_complaint(request, solution.complaint.tracking_number, lambda c, now: approvals.decide(
        solution, by=request.user, approve=form.cleaned_data["decision"] == "approve",
        reason=form.cleaned_data["reason"], now=now), _("Decision recorded."), form=form, key="decision_form",
        extra={"decision_solution": solution.pk})


@login_required
@require_POST
def root_cause(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = access_complaint(request.user, tracking_number)
    _version, policy = active_policy()
    form = RootCauseForm(request.POST, categories=policy.workflow.cause_categories,
                         attachments=complaint.attachments.all())

    def record(c, now):
        data = form.cleaned_data
        return record_root_cause(
            c, by=request.user, category=data["category"], whys=[data[f"why{i}"] for i in range(1, 6)], now=now,
            responsible_department=data["responsible_department"], responsible_person=data["responsible_person"],
            evidence_ids=[int(pk) for pk in data["evidence"]])

    return _on_complaint(request, tracking_number, record, _("Root cause recorded."), form=form, key="cause_form")


# ---- emergency plans ---------------------------------------------------------------------------

def _plans_for(user):
    return visible_plans(user)


ACTION_DONE = {
    "acknowledge": gettext_lazy("Complaint acknowledged."), "start_investigation": gettext_lazy("Investigation started."),
    "carry_out": gettext_lazy("Marked as carried out."), "request_feedback": gettext_lazy("Asked the customer for feedback."),
    "close": gettext_lazy("Complaint closed; the customer is sent the satisfaction survey."),
    "archive": gettext_lazy("Complaint archived."), "reopen": gettext_lazy("Complaint reopened."),
}
EMERGENCY_DONE = {
    "activate": gettext_lazy("Emergency plan activated; the team was told."),
    "decline": gettext_lazy("Emergency plan declined."), "report": gettext_lazy("Added to the timeline."),
    "link": gettext_lazy("Complaint linked to the plan."), "close": gettext_lazy("Emergency plan closed with its review."),
    "add_members": gettext_lazy("Added to the team; they were told."),
}
PLANS_PER_PAGE = 50
INCIDENTS_PER_PAGE = 20


@login_required
def emergency_list(request: HttpRequest) -> HttpResponse:
    """Emergency plans and mass-incident warnings, each paginated and filtered by state: a crisis with
    thousands of plans or linked complaints stays one page of counts, not every tracking number."""
    return _emergency_page(request)


def _emergency_page(request: HttpRequest, status: int = 200, **failed) -> HttpResponse:
    state = request.GET.get("state", "")
    plans = _plans_for(request.user)
    if state in EmergencyPlan.State.values:
        plans = plans.filter(state=state)
    # Count the linked complaints only for the page shown: annotating the whole filtered set made the
    # paginator's COUNT group every plan (10,000 plans: 50 → 8 ms for the count).
    plan_page = Paginator(plans.order_by("-proposed_at", "-id"), PLANS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(plan_page.object_list)
    counts = dict(EmergencyPlan.complaints.through.objects.filter(emergencyplan_id__in=[p.pk for p in shown])
                  .values("emergencyplan_id").annotate(n=Count("complaint_id")).values_list("emergencyplan_id", "n"))
    for plan in shown:
        plan.complaint_count = counts.get(plan.pk, 0)
    plan_page.object_list = shown
    incidents = Incident.objects.all()
    if not request.user.can(Capability.VIEW_ALL_DEPARTMENTS):
        incidents = incidents.filter(complaints__in=visible_complaints(request.user)).distinct()
    incident_state = request.GET.get("incident_state", "")
    if incident_state in Incident.State.values:
        incidents = incidents.filter(state=incident_state)
    incidents = incidents.annotate(complaint_count=Count("complaints", distinct=True)).order_by("-opened_at", "-id")
    incident_page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("incidents_page"))
    may_close = request.user.can(Capability.LEAD_EMERGENCY) or request.user.role == "quality"
    context = {
        "plans": plan_page, "incidents": incident_page, "now": timezone.now(), "may_close": may_close,
        "state": state, "incident_state": incident_state, "plan_states": EmergencyPlan.State.choices,
        "incident_states": Incident.State.choices, "incident_failed": {}}
    context.update(failed)
    return render(request, "workflow/emergency_list.html", context, status=status)


@login_required
@require_POST
def incident_close(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=incident_id)
    note = request.POST.get("note", "")
    try:
        close_incident(incident, by=request.user, note=note, now=timezone.now())
    except AccessDenied:
        raise PermissionDenied(_("your role may not do this")) from None
    except IntakeError as exc:
        return _emergency_page(request, status=422, incident_failed={
            "id": incident.pk, "note": note, "errors": [error.reason for error in exc.errors]})
    messages.success(request, _("Mass-incident warning closed."))
    return redirect("workflow:emergency_list")


@login_required
def emergency_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(_plans_for(request.user), pk=plan_id)
    return _plan_page(request, plan)


def _plan_page(request: HttpRequest, plan: EmergencyPlan, forms: dict | None = None, status: int = 200) -> HttpResponse:
    """The plan's page; `forms` replaces blank forms with bound ones that failed, shown with their input and
    the message beside the field."""
    lead = request.user.can(Capability.LEAD_EMERGENCY)
    member = plan.members.filter(user=request.user).exists()
    context = {
        "plan": plan, "lead": lead, "may_report": (lead or member) and plan.state == "active",
        "members": plan.members.select_related("user"), "log": plan.log.select_related("by"),
        "complaints": plan.complaints.all(), "incidents": plan.incidents.all(),
        "activate_form": ActivateForm(), "add_members_form": ActivateForm(), "decline_form": DeclineForm(),
        "report_form": ReportForm(), "link_form": LinkForm(), "close_form": ReviewForm(), "now": timezone.now()}
    context.update(forms or {})
    return render(request, "workflow/emergency_detail.html", context, status=status)


_PLAN_FORMS = {"activate": ActivateForm, "add_members": ActivateForm, "decline": DeclineForm, "report": ReportForm,
               "link": LinkForm, "close": ReviewForm}


@login_required
@require_POST
def emergency_act(request: HttpRequest, plan_id: int, step: str) -> HttpResponse:
    plan = get_object_or_404(_plans_for(request.user), pk=plan_id)
    if step not in _PLAN_FORMS:
        raise Http404("no such step")
    form = _PLAN_FORMS[step](request.POST)
    if form.is_valid():
        now, by, data = timezone.now(), request.user, form.cleaned_data
        steps = {
            "activate": lambda: emergency.activate(plan, by=by, now=now, team=form.team()),
            "decline": lambda: emergency.decline(plan, by=by, reason=data["reason"], now=now),
            "report": lambda: emergency.report(plan, by=by, kind=data["kind"], text=data["text"], now=now),
            "link": lambda: emergency.link(plan, access_complaint(by, data["tracking_number"]), by=by, now=now),
            "close": lambda: emergency.close_plan(plan, by=by, review=data["closing_review"], now=now),
            "add_members": lambda: emergency.add_members(plan, by=by, now=now, team=form.team()),
        }
        try:
            steps[step]()
        except AccessDenied:
            raise PermissionDenied(_("your role may not do this")) from None
        except Http404:
            form.add_error("tracking_number", _("no complaint with this tracking number that you may see"))
        except IntakeError as exc:
            for error in exc.errors:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
        else:
            messages.success(request, str(EMERGENCY_DONE[step]))
            return redirect("workflow:emergency_detail", plan_id=plan.pk)
    return _plan_page(request, plan, forms={f"{step}_form": form}, status=422)


# ---- public survey ------------------------------------------------------------------------------

def survey(request: HttpRequest, token: str) -> HttpResponse:
    record = Survey.objects.select_related("complaint").filter(token=token).first()
    if record is None:
        raise Http404("no such survey")
    form = SurveyForm(request.POST or None)
    if request.method == "POST":
        if not hit("survey", client_address(request), limit=settings.TOUSU_PUBLIC_LOOKUP_LIMIT,
                   window_seconds=settings.TOUSU_PUBLIC_WINDOW_SECONDS, now=timezone.now()):
            return render(request, "public/survey.html", {"survey": record, "form": form, "throttled": True}, status=429)
        if form.is_valid():
            try:
                answer_survey(token, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                              now=timezone.now())
            except IntakeError as exc:
                for error in exc.errors:
                    form.add_error(None, error.reason)
            else:
                return render(request, "public/survey.html", {"survey": record, "thanks": True})
    return render(request, "public/survey.html", {"survey": record, "form": form}, status=422 if form.errors else 200)
