"""Pages a customer uses without an account: file a complaint, look up its progress (R-IN-5)."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tousu.complaints.choices import EventKind, Source, Status
from tousu.complaints.forms import LookupForm, PublicComplaintForm
from tousu.complaints.models import Complaint
from tousu.complaints.tracking import normalise
from tousu.complaints.validation import IntakeError, normalise_phone
from tousu.core.throttle import client_address, hit
from tousu.intake.pipeline import record_complaint


def _throttled(request: HttpRequest, scope: str, limit: int) -> bool:
    return not hit(scope, client_address(request), limit=limit,
                   window_seconds=settings.TOUSU_PUBLIC_WINDOW_SECONDS, now=timezone.now())


def _too_many(request: HttpRequest, template: str, form) -> HttpResponse:
    response = render(request, template, {"form": form, "throttled": True}, status=429)
    response["Retry-After"] = str(settings.TOUSU_PUBLIC_WINDOW_SECONDS)
    return response


@never_cache
def submit(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    form = PublicComplaintForm(request.POST or None, request.FILES or None, now=now)
    if request.method == "POST":
        if _throttled(request, "public-submit", settings.TOUSU_PUBLIC_SUBMIT_LIMIT):
            return _too_many(request, "public/submit.html", form)
        if form.is_valid():
            if form.looks_like_a_bot():
                # Answered like a success so the bot learns nothing; nothing is stored.
                return render(request, "public/submitted.html", {"tracking_number": ""})
            try:
                complaint = record_complaint(form.intake, by=None, source=Source.PUBLIC, now=now,
                                             attachments=form.cleaned_data.get("attachments") or [])
            except IntakeError as exc:
                for error in exc.errors:
                    form.add_error(error.field if error.field in form.fields else None, error.reason)
            else:
                request.session["submitted"] = complaint.tracking_number
                return redirect("public:submitted", tracking_number=complaint.tracking_number)
        return render(request, "public/submit.html", {"form": form}, status=422)
    return render(request, "public/submit.html", {"form": form})


@never_cache
def submitted(request: HttpRequest, tracking_number: str) -> HttpResponse:
    # Only the browser that filed it sees the confirmation page; others are sent to the look-up.
    if request.session.get("submitted") != tracking_number:
        return redirect("public:lookup")
    complaint = Complaint.objects.filter(tracking_number=tracking_number).only("id", "emergency").first()
    reply_by = complaint.deadlines.filter(stage="acknowledge").values_list("due_at", flat=True).first() if complaint else None
    return render(request, "public/submitted.html", {
        "tracking_number": tracking_number, "reply_by": reply_by, "emergency": complaint is not None and complaint.emergency,
        "hotline": settings.TOUSU_HOTLINE})


def _contact_matches(complaint: Complaint, contact: str) -> bool:
    contact = contact.strip()
    if "@" in contact:
        return bool(complaint.email) and hmac.compare_digest(complaint.email.lower(), contact.lower())
    return bool(complaint.phone) and hmac.compare_digest(complaint.phone, normalise_phone(contact))


PUBLIC_EVENT_KINDS = (EventKind.RECORDED, EventKind.IMPORTED, EventKind.STATUS_CHANGED)


@never_cache
def lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None)
    if request.method != "POST":
        return render(request, "public/lookup.html", {"form": form})
    if _throttled(request, "public-lookup", settings.TOUSU_PUBLIC_LOOKUP_LIMIT):
        return _too_many(request, "public/lookup.html", form)
    if not form.is_valid():
        return render(request, "public/lookup.html", {"form": form}, status=422)
    complaint = Complaint.objects.filter(
        tracking_number=normalise(form.cleaned_data["tracking_number"])).first()
    if complaint is None or not _contact_matches(complaint, form.cleaned_data["contact"]):
        # The same answer whether the number or the contact was wrong: nothing is revealed.
        form.add_error(None, _("No complaint matches this tracking number and contact."))
        return render(request, "public/lookup.html", {"form": form}, status=404)
    expected = complaint.deadlines.filter(stage="solution", met_at__isnull=True).values_list("due_at", flat=True).first()
    events = list(complaint.events.filter(kind__in=PUBLIC_EVENT_KINDS).order_by("at", "id"))
    labels = dict(Status.choices)
    for event in events:
        event.status_label = labels.get(event.data.get("after", ""), "") if event.kind == "status_changed" else ""
    survey = complaint.surveys.filter(answered_at__isnull=True).order_by("-sent_at").first()
    return render(request, "public/progress.html", {"complaint": complaint, "events": events, "expected": expected,
                                                    "survey": survey})
