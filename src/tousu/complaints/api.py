from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from tousu.accounts.roles import Capability
from tousu.complaints.access import (
    AccessDenied,
    access_complaint,
    visible_complaints,
    visible_import_jobs,
    with_next_due,
)
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.actions.import_jobs import start_import
from tousu.complaints.actions.personal_data import open_full_record
from tousu.complaints.choices import Source
from tousu.complaints.schemas import (
    FULL_RECORD,
    AttachmentOut,
    ComplaintDetailOut,
    ComplaintOut,
    ErrorOut,
    ImportJobOut,
)
from tousu.complaints.tasks import queue_import
from tousu.complaints.validation import FieldError, IntakeData, IntakeError
from tousu.core.masking import looks_like_personal_search
from tousu.intake.corrections import change_facts
from tousu.intake.pipeline import record_complaint

router = Router(tags=["complaints"])


class ComplaintFilters(Schema):
    status: str | None = None
    risk_level: str | None = None
    emergency: bool | None = None
    channel: str | None = None
    department: str | None = None
    owner: str | None = None
    q: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    overdue: bool | None = None  # a running stage clock is past its due time
    possible_high_risk: bool | None = None  # the model says high where the rules did not


@router.post("/complaints", response={201: ComplaintDetailOut, 403: ErrorOut, 422: ErrorOut})
def create_complaint(request: HttpRequest, payload: IntakeData):
    user = request.auth
    if not user.can(Capability.RECORD):
        raise AccessDenied("this role may not record complaints")
    complaint = record_complaint(payload, by=user, source=Source.API, now=timezone.now())
    return Status(201, complaint)


@router.get("/complaints/{tracking_number}", response={200: ComplaintDetailOut, 403: ErrorOut, 404: ErrorOut})
def get_complaint(request: HttpRequest, tracking_number: str, full: bool = False):
    """Text and history come masked; `full=true` opens the full record with its personal data, for a
    role that may see it, and writes that into the complaint's history."""
    complaint = access_complaint(request.auth, tracking_number)
    if full:
        open_full_record(complaint, by=request.auth, now=timezone.now(), via="api")
        setattr(request, FULL_RECORD, True)
    return complaint


@router.get("/complaints", response={200: list[ComplaintOut], 422: ErrorOut})
@paginate(PageNumberPagination, page_size=50)
def list_complaints(request: HttpRequest, filters: Query[ComplaintFilters]):
    complaints = visible_complaints(request.auth).select_related("owner", "first_owner", "department")
    if filters.overdue is not None:
        complaints = with_next_due(complaints)
        overdue = Q(next_due__lt=timezone.now())
        complaints = complaints.filter(overdue) if filters.overdue else complaints.exclude(overdue)
    if filters.status:
        complaints = complaints.filter(status=filters.status)
    if filters.channel:
        complaints = complaints.filter(channel=filters.channel)
    if filters.risk_level:
        complaints = complaints.filter(risk_level=filters.risk_level)
    if filters.emergency is not None:
        complaints = complaints.filter(emergency=filters.emergency)
    if filters.possible_high_risk is not None:
        complaints = complaints.filter(possible_high_risk=filters.possible_high_risk)
    if filters.department:
        complaints = complaints.filter(department__code=filters.department)
    if filters.owner:
        complaints = complaints.filter(owner__username=filters.owner)
    if filters.q:
        if not request.auth.can(Capability.VIEW_PERSONAL_DATA) and looks_like_personal_search(filters.q):
            raise IntakeError([FieldError("q", _("your role may not search by personal data (phone, email, "
                                                   "ID or card number)"))])
        complaints = complaints.filter(text__icontains=filters.q)
    if filters.received_from:
        complaints = complaints.filter(received_at__gte=filters.received_from)
    if filters.received_to:
        complaints = complaints.filter(received_at__lt=filters.received_to)
    return complaints


@router.patch("/complaints/{tracking_number}",
              response={200: ComplaintDetailOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def patch_complaint(request: HttpRequest, tracking_number: str, payload: Body[dict[str, Any]]):
    """Correct or complete facts (lot quantities, product, amount …); the complaint and its neighbours
    are re-assessed. The original text, channel and time of receipt cannot change."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    change_facts(complaint, payload, by=request.auth, now=timezone.now())
    return complaint


@router.post("/complaints/{tracking_number}/attachments",
             response={201: AttachmentOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut})
def upload_attachment(request: HttpRequest, tracking_number: str, file: File[UploadedFile]):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    return Status(201, add_attachment(complaint, file, by=request.auth, now=timezone.now(), field="file"))


@router.post("/imports", response={202: ImportJobOut, 403: ErrorOut, 422: ErrorOut}, tags=["imports"])
def create_import(request: HttpRequest, file: File[UploadedFile], channel: Form[str] = ""):
    """Import a .csv or .xlsx file in the background (as the upload page does); follow it at
    `GET /api/imports/{id}` until `state` is `done` or `failed`."""
    return Status(202, queue_import(start_import(file, by=request.auth, channel=channel, now=timezone.now())))


@router.get("/imports/{job_id}", response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut}, tags=["imports"])
def get_import(request: HttpRequest, job_id: int):
    if not request.auth.can(Capability.IMPORT):
        raise AccessDenied("this role may not import files")
    return get_object_or_404(visible_import_jobs(request.auth), pk=job_id)
