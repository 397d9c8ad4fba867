from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tousu.accounts.models import Department
from tousu.accounts.roles import Capability
from tousu.assessments.actions import override_risk
from tousu.complaints.access import (
    AccessDenied,
    access_complaint,
    mask_email,
    mask_phone,
    visible_complaints,
    with_next_due,
)
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.actions.contacts import log_contact
from tousu.complaints.actions.intake import record_complaint
from tousu.complaints.choices import Channel, Source, Status
from tousu.complaints.forms import AgentComplaintForm, AttachmentForm, ContactForm, RiskOverrideForm
from tousu.complaints.validation import IntakeError
from tousu.workflow.views import handling_context

PAGE_SIZE = 50


def _require(request: HttpRequest, capability: Capability) -> None:
    if not request.user.can(capability):
        raise PermissionDenied(_("your role may not do this"))


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    complaints = with_next_due(visible_complaints(request.user).select_related("owner", "department"))
    status = request.GET.get("status", "")
    risk = request.GET.get("risk_level", "")
    overdue = request.GET.get("overdue") == "1"
    mine = request.GET.get("mine") == "1"
    flagged = request.GET.get("flagged") == "1"
    by_due = request.GET.get("sort") == "due"
    channel = request.GET.get("channel", "")
    department = request.GET.get("department", "")
    query = request.GET.get("q", "").strip()
    if status:
        complaints = complaints.filter(status=status)
    if channel:
        complaints = complaints.filter(channel=channel)
    if department:
        complaints = complaints.filter(department__code=department)
    if query:
        complaints = complaints.filter(text__icontains=query) | complaints.filter(tracking_number__iexact=query)
    if risk:
        complaints = complaints.filter(risk_level=risk)
    if overdue:
        complaints = complaints.filter(next_due__lt=now)
    if mine:
        complaints = complaints.filter(owner=request.user)
    if flagged:
        complaints = complaints.filter(possible_high_risk=True)
    if by_due:
        complaints = complaints.order_by(F("next_due").asc(nulls_last=True), "-received_at")
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "risk_levels": [("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))],
        "departments": Department.objects.all(),
        "filters": {"status": status, "channel": channel, "department": department, "q": query, "risk_level": risk,
                    "overdue": overdue, "mine": mine, "flagged": flagged, "sort": "due" if by_due else ""},
        "now": now,
    }
    template = "complaints/_table.html" if request.htmx else "complaints/list.html"
    return render(request, template, context)


@login_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    _require(request, Capability.RECORD)
    now = timezone.now()
    form = AgentComplaintForm(request.POST or None, request.FILES or None, now=now)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = record_complaint(form.intake, by=request.user, source=Source.FORM, now=now,
                                         attachments=form.cleaned_data.get("attachments") or [])
        except IntakeError as exc:
            for error in exc.errors:
                form.add_error(error.field if error.field in form.fields else None, error.reason)
        else:
            messages.success(request, _("Complaint recorded: tracking number %(number)s")
                             % {"number": complaint.tracking_number})
            return redirect("complaints:detail", tracking_number=complaint.tracking_number)
    return render(request, "complaints/new.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def complaint_detail(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = access_complaint(request.user, tracking_number)
    personal = request.user.can(Capability.VIEW_PERSONAL_DATA)
    context = {
        "complaint": complaint,
        "phone": complaint.phone if personal else mask_phone(complaint.phone) if complaint.phone else "",
        "email": complaint.email if personal else mask_email(complaint.email) if complaint.email else "",
        "events": complaint.events.select_related("actor"),
        "assessment": complaint.assessments.select_related("policy_version").order_by("-assessed_at", "-id").first(),
        "attachments": complaint.attachments.select_related("uploaded_by"),
        "may_handle": request.user.can(Capability.HANDLE),
        "attachment_form": AttachmentForm(),
        "contact_form": ContactForm(),
        "may_override": request.user.can(Capability.OVERRIDE_RISK),
        "override_form": RiskOverrideForm(initial={"level": complaint.risk_level}),
        "overrides": complaint.risk_overrides.select_related("by", "assessment"),
    }
    context.update(handling_context(complaint, request.user, timezone.now()))
    return render(request, "complaints/detail.html", context)


def _access_for_write(request: HttpRequest, tracking_number: str):
    try:
        return access_complaint(request.user, tracking_number, write=True)
    except AccessDenied:
        raise PermissionDenied(_("your role may not do this")) from None


@login_required
@require_POST
def attachment_add(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _access_for_write(request, tracking_number)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        now = timezone.now()
        try:
            for upload in form.cleaned_data["attachments"]:
                add_attachment(complaint, upload, by=request.user, now=now)
        except IntakeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Attachment stored."))
    else:
        messages.error(request, _("attachments: choose at least one file"))
    return redirect("complaints:detail", tracking_number=complaint.tracking_number)


@login_required
@require_POST
def contact_add(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _access_for_write(request, tracking_number)
    form = ContactForm(request.POST)
    if form.is_valid():
        log_contact(complaint, by=request.user, channel=form.cleaned_data["channel"],
                    note=form.cleaned_data["note"], now=timezone.now())
        messages.success(request, _("Contact recorded."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    return redirect("complaints:detail", tracking_number=complaint.tracking_number)


@login_required
@require_POST
def risk_override(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _access_for_write(request, tracking_number)
    form = RiskOverrideForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("complaints:detail", tracking_number=complaint.tracking_number)
    try:
        override_risk(complaint, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"],
                      by=request.user, now=timezone.now())
    except AccessDenied:
        raise PermissionDenied(_("your role may not do this")) from None
    except IntakeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Risk level overridden."))
    return redirect("complaints:detail", tracking_number=complaint.tracking_number)


@login_required
def attachment_download(request: HttpRequest, tracking_number: str, attachment_id: int) -> FileResponse:
    complaint = access_complaint(request.user, tracking_number)
    attachment = complaint.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("no such attachment")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name,
                        content_type=attachment.content_type or "application/octet-stream")
