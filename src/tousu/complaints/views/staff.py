import io

import openpyxl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability, Role
from tousu.assessments.policies import active_policy
from tousu.complaints.access import (
    AccessDenied,
    access_complaint,
    mask_email,
    mask_phone,
)
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.actions.contacts import log_contact
from tousu.complaints.actions.personal_data import open_full_record
from tousu.complaints.choices import Channel, Source, Status
from tousu.complaints.forms import AgentComplaintForm, AttachmentForm, ContactForm, RiskOverrideForm
from tousu.complaints.models import SavedFilter
from tousu.complaints.personal import shown_events, shown_text
from tousu.complaints.validation import IntakeError
from tousu.complaints.views.listing import filtered, read_filters
from tousu.core import display
from tousu.core.display import history
from tousu.core.masking import mask_text
from tousu.core.spreadsheet import safe_row
from tousu.intake.consequences import override_risk
from tousu.intake.pipeline import record_complaint
from tousu.risk import Facts, assess
from tousu.workflow.actions.transfer import transfer
from tousu.workflow.views import handling_context

HANDLING_ROLES = [Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.QUALITY, Role.LEADER]

PAGE_SIZE = 50


def _require(request: HttpRequest, capability: Capability) -> None:
    if not request.user.can(capability):
        raise PermissionDenied(_("your role may not do this"))


@login_required
def complaint_list(request: HttpRequest) -> HttpResponse:
    template = "complaints/_table.html" if request.htmx else "complaints/list.html"
    return render(request, template, _list_context(request, request.GET))


def _list_context(request: HttpRequest, params) -> dict:
    now = timezone.now()
    filters = read_filters(params, request.user)
    complaints = filtered(request.user, filters, now)
    page = Paginator(complaints, PAGE_SIZE).get_page(params.get("page"))
    return {
        "page": page,
        "statuses": Status.choices,
        "channels": Channel.choices,
        "risk_levels": [(code, label) for code, label in display.LEVELS.items()],
        "priorities": [(code, label) for code, label in display.PRIORITIES.items()],
        "grades": [(code, label) for code, label in display.GRADES.items()],
        "types": [(code, label) for code, label in display.TYPES.items()],
        "sorts": [("urgency", _("most urgent first")), ("due", _("deadline soonest")), ("newest", _("newest")),
                  ("oldest", _("oldest"))],
        "departments": Department.objects.all(),
        "filters": filters.values,
        "filter_errors": filters.errors,
        "query_string": filters.query_string(),
        "saved_filters": request.user.saved_filters.all(),
        "may_transfer": request.user.can(Capability.TRANSFER),
        "handlers": User.objects.filter(is_active=True, role__in=HANDLING_ROLES).order_by("username")
        if request.user.can(Capability.TRANSFER) else [],
        "now": now,
    }


def _list_again(request: HttpRequest, query: str, **failed) -> HttpResponse:
    """The list as it was filtered, with a form that failed: its input kept, the message beside the field."""
    context = _list_context(request, QueryDict(query))
    context.update(failed)
    return render(request, "complaints/list.html", context, status=422)


@login_required
@require_POST
def saved_filter_add(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:80]
    query = request.POST.get("query", "").strip()[:1000]
    if not name:
        return _list_again(request, query, saved_filter_error=_("Name the filter to save it."))
    SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return redirect(f"{reverse('complaints:list')}?{query}")


@login_required
@require_POST
def saved_filter_delete(request: HttpRequest, filter_id: int) -> HttpResponse:
    SavedFilter.objects.filter(user=request.user, pk=filter_id).delete()
    messages.success(request, _("Saved filter removed."))
    return redirect("complaints:list")


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Transfer the ticked complaints to one person, each with the same reason (R-WF-2: recorded transfers)."""
    _require(request, Capability.TRANSFER)
    query = request.POST.get("query", "")
    back = f"{reverse('complaints:list')}?{query}"
    numbers = request.POST.getlist("complaints")
    target = User.objects.filter(username=request.POST.get("to_user", ""), is_active=True).first()
    reason = request.POST.get("reason", "").strip()
    errors = {}
    if not numbers:
        errors["complaints"] = _("Tick the complaints to assign.")
    if target is None:
        errors["to_user"] = _("choose the person who takes them over")
    if not reason:
        errors["reason"] = _("a transfer needs a reason")
    if errors:
        return _list_again(request, query, bulk_errors=errors, bulk={
            "complaints": numbers, "to_user": request.POST.get("to_user", ""), "reason": reason})
    now = timezone.now()
    done, refused = 0, []
    for number in numbers:
        try:
            complaint = access_complaint(request.user, number, write=True)
            transfer(complaint, by=request.user, reason=reason, now=now, to_user=target)
        except (AccessDenied, Http404):
            refused.append(f"{number}: {_('your role may not do this')}")
        except IntakeError as exc:
            refused.append(f"{number}: {exc}")
        else:
            done += 1
    if done:
        messages.success(request, ngettext("%(count)d complaint assigned to %(user)s.",
                                           "%(count)d complaints assigned to %(user)s.", done)
                         % {"count": done, "user": target})
    for line in refused:
        messages.error(request, line)
    return redirect(back)


EXPORT_LIMIT = 50_000


@login_required
def complaint_export(request: HttpRequest) -> HttpResponse:
    """The filtered rows as an Excel workbook, values in the reader's language, personal data masked for roles
    that may not see it, cells that would start a formula escaped."""
    now = timezone.now()
    filters = read_filters(request.GET, request.user)
    rows = filtered(request.user, filters, now)[:EXPORT_LIMIT]
    personal = request.user.can(Capability.VIEW_PERSONAL_DATA)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Complaints"))
    sheet.append([str(h) for h in (_("tracking number"), _("received at"), _("channel"), _("risk level"),
                                   _("severity grade"), _("priority"), _("complaint type"), _("status"),
                                   _("next deadline"), _("owner"), _("department"), _("customer name"),
                                   _("phone"), _("product / model"), _("region"), _("amount involved"),
                                   _("complaint text"))])
    channels, statuses = dict(Channel.choices), dict(Status.choices)
    for c in rows.iterator(chunk_size=2000):
        phone = c.phone if personal else mask_phone(c.phone) if c.phone else ""
        text = c.text if personal else mask_text(c.text)
        sheet.append(safe_row((
            c.tracking_number, timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
            str(channels.get(c.channel, c.channel)), display.level_label(c.risk_level), display.grade_label(c.severity_grade),
            display.priority_label(c.priority), display.type_label(c.complaint_type), str(statuses.get(c.status, c.status)),
            timezone.localtime(c.next_due).strftime("%Y-%m-%d %H:%M") if c.next_due else "",
            str(c.owner or ""), str(c.department or ""), c.customer_name, phone, c.product, c.region,
            float(c.amount) if c.amount is not None else None, text)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="complaints-{now:%Y%m%d-%H%M}.xlsx"'
    return response


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
@require_POST
def risk_preview(request: HttpRequest) -> HttpResponse:
    """The assessment of what the agent has typed so far (htmx, while typing): nothing is stored."""
    _require(request, Capability.RECORD)
    text = request.POST.get("text", "").strip()
    result = None
    if text:
        _version, policy = active_policy()
        result = assess(Facts(text=text[:20000], channel=request.POST.get("channel") or "phone"), None, policy)
    return render(request, "complaints/_risk_preview.html", {"result": result})


@login_required
def complaint_detail(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = access_complaint(request.user, tracking_number)
    personal = request.user.can(Capability.VIEW_PERSONAL_DATA)
    # Text and history are masked until the full record is opened: a POST here, logged (R-SEC-1).
    full = request.method == "POST" and personal
    if full:
        open_full_record(complaint, by=request.user, now=timezone.now(), via="page")
    return complaint_page(request, complaint, full=full)


def complaint_page(request: HttpRequest, complaint, *, full: bool = False, forms: dict | None = None,
                   status: int = 200) -> HttpResponse:
    """The complaint page; `forms` replaces blank forms with bound ones that failed, shown open with their
    input and errors (the handling card's forms come back here, see workflow.views)."""
    personal = request.user.can(Capability.VIEW_PERSONAL_DATA)
    context = {
        "complaint": complaint,
        "text": shown_text(complaint, full=full), "full_record": full, "may_open_full_record": personal and not full,
        "phone": complaint.phone if personal else mask_phone(complaint.phone) if complaint.phone else "",
        "email": complaint.email if personal else mask_email(complaint.email) if complaint.email else "",
        "history": history(shown_events(complaint.events.select_related("actor"), full=full)),
        "emergency_plan": complaint.emergency_plans.order_by("-id").first() if complaint.emergency else None,
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
    context.update(forms or {})
    return render(request, "complaints/detail.html", context, status=status)


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
    if form.is_valid() and not form.cleaned_data.get("attachments"):
        form.add_error("attachments", _("choose at least one file"))
    if not form.is_valid():
        return complaint_page(request, complaint, forms={"attachment_form": form}, status=422)
    now = timezone.now()
    try:
        for upload in form.cleaned_data["attachments"]:
            add_attachment(complaint, upload, by=request.user, now=now)
    except IntakeError as exc:
        for error in exc.errors:
            form.add_error("attachments", error.reason)
        return complaint_page(request, complaint, forms={"attachment_form": form}, status=422)
    messages.success(request, _("Attachment stored."))
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
        return complaint_page(request, complaint, forms={"contact_form": form}, status=422)
    return redirect("complaints:detail", tracking_number=complaint.tracking_number)


@login_required
@require_POST
def risk_override(request: HttpRequest, tracking_number: str) -> HttpResponse:
    complaint = _access_for_write(request, tracking_number)
    form = RiskOverrideForm(request.POST)
    if not form.is_valid():
        return complaint_page(request, complaint, forms={"override_form": form}, status=422)
    try:
        override_risk(complaint, level=form.cleaned_data["level"], reason=form.cleaned_data["reason"],
                      by=request.user, now=timezone.now())
    except AccessDenied:
        raise PermissionDenied(_("your role may not do this")) from None
    except IntakeError as exc:
        for error in exc.errors:
            form.add_error(error.field if error.field in form.fields else None, error.reason)
        return complaint_page(request, complaint, forms={"override_form": form}, status=422)
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
