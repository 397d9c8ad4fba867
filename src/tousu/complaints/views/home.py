"""The home page: what this person has to do now, by urgency — their own queue, their department's,
approvals waiting for them, overdue and escalated complaints, active emergencies — each with its count."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.roles import Capability
from tousu.complaints.access import visible_complaints, visible_plans, with_next_due
from tousu.complaints.choices import ENDED
from tousu.complaints.views.listing import sort
from tousu.workflow.models import ApprovalStep, EmergencyPlan, Solution

SHOWN = 8


def _queue(title: str, complaints, link: str, now) -> dict:
    ordered = sort(complaints, "urgency", now)
    return {"title": title, "count": ordered.count(), "items": list(ordered[:SHOWN]), "link": link}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user, now = request.user, timezone.now()
    list_url = reverse("complaints:list")
    open_visible = with_next_due(visible_complaints(user).exclude(status__in=ENDED)).select_related("owner")
    queues = []
    if user.can(Capability.HANDLE):
        queues.append(_queue(_("My queue"), open_visible.filter(owner=user), f"{list_url}?mine=1", now))
    if user.department_id:
        queues.append(_queue(_("My department"), open_visible.filter(department_id=user.department_id),
                             f"{list_url}?department={user.department.code}", now))
    queues.append(_queue(_("Overdue"), open_visible.filter(next_due__lt=now), f"{list_url}?overdue=1", now))
    escalated = open_visible.filter(escalations__isnull=False).distinct()
    queues.append(_queue(_("Escalated"), escalated, f"{list_url}?overdue=1", now))
    approvals = []
    if user.can(Capability.APPROVE):
        pending = (ApprovalStep.objects.filter(decision=Solution.Decision.PENDING, role=user.role,
                                               solution__status=Solution.Decision.PENDING,
                                               solution__complaint__in=visible_complaints(user))
                   .exclude(solution__proposed_by=user).select_related("solution__complaint")
                   .order_by("solution__complaint__received_at"))
        approvals = list(pending[:SHOWN])
        approvals_count = pending.count()
    else:
        approvals_count = 0
    emergencies = visible_plans(user).filter(state__in=(EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE))
    context = {"queues": queues, "approvals": approvals, "approvals_count": approvals_count,
               "may_approve": user.can(Capability.APPROVE),
               "emergencies": list(emergencies.order_by("golden_due_at")[:SHOWN]), "emergency_count": emergencies.count(),
               "now": now}
    return render(request, "complaints/home.html", context)
