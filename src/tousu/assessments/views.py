"""The complaint page's case-library panel (R-RP-3), loaded by htmx: similar past cases with how they were
solved, and for a closed complaint the form that keeps it as a reference case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.roles import Capability
from tousu.assessments.actions.cases import mark_reference_case
from tousu.assessments.cases import similar_cases
from tousu.assessments.models import ReferenceCase
from tousu.complaints.access import AccessDenied, access_complaint
from tousu.complaints.choices import ENDED
from tousu.complaints.validation import IntakeError
from tousu.workflow.models import Solution, Survey


def _complaint(request: HttpRequest, tracking_number: str, *, write: bool = False):
    try:
        return access_complaint(request.user, tracking_number, write=write)
    except AccessDenied as denied:
        raise PermissionDenied(str(denied)) from denied


def _suggested(complaint) -> tuple[str, str]:
    """The form's first values: the approved measures, and the survey's answer."""
    solutions = Solution.objects.filter(complaint=complaint, status=Solution.Decision.APPROVED)
    survey = Survey.objects.filter(complaint=complaint, answered_at__isnull=False).first()
    outcome = ""
    if survey is not None:
        outcome = _("satisfaction %(score)s/5 %(comment)s") % {"score": survey.score, "comment": survey.comment}
    return "\n".join(s.measures for s in solutions), outcome.strip()


@login_required
def similar_panel(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _complaint(request, tracking_number)
    solution, outcome = _suggested(complaint)
    context = {
        "complaint": complaint, "cases": similar_cases(complaint, user=request.user),
        "reference": ReferenceCase.objects.filter(complaint=complaint).first(),
        "may_mark": complaint.status in ENDED and request.user.can(Capability.APPROVE),
        "solution": request.POST.get("solution", solution), "outcome": request.POST.get("outcome", outcome),
        "errors": {},
    }
    return render(request, "assessments/_similar_cases.html", context)


@login_required
@require_POST
def mark_reference(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _complaint(request, tracking_number, write=True)
    try:
        mark_reference_case(complaint, by=request.user, solution=request.POST.get("solution", ""),
                            outcome=request.POST.get("outcome", ""), now=timezone.now())
    except AccessDenied as denied:
        raise PermissionDenied(str(denied)) from denied
    except IntakeError as error:
        context = {"complaint": complaint, "cases": similar_cases(complaint, user=request.user), "reference": None,
                   "may_mark": True, "solution": request.POST.get("solution", ""),
                   "outcome": request.POST.get("outcome", ""), "errors": {e.field: e.reason for e in error.errors}}
        return render(request, "assessments/_similar_cases.html", context, status=422)
    if request.headers.get("HX-Request"):
        return similar_panel(request, tracking_number)
    messages.success(request, _("Kept in the case library."))
    return redirect("complaints:detail", complaint.tracking_number)
