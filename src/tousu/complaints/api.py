from typing import Annotated, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate
from pydantic import WithJsonSchema

from tousu.accounts.roles import Capability
from tousu.complaints.access import (
    AccessDenied,
    access_complaint,
    visible_complaints,
    visible_import_jobs,
    with_next_due,
)
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.actions.personal_data import open_full_record
from tousu.complaints.choices import Channel, Source
from tousu.complaints.choices import Status as ComplaintStatus
from tousu.complaints.schemas import (
    FULL_RECORD,
    STRICT,
    AttachmentOut,
    ComplaintDetailOut,
    ComplaintIn,
    ComplaintOut,
    FactsIn,
    ImportJobOut,
    Instant,
    Text,
    errors,
)
from tousu.complaints.tasks import queue_import
from tousu.complaints.validation import FieldError, IntakeError, validate_intake
from tousu.core.masking import looks_like_personal_search
from tousu.intake import grouped
from tousu.intake.corrections import change_facts
from tousu.intake.import_jobs import start_import

router = Router(tags=["complaints"])


# Checked by start_import beside the file, so that one answer names both when both are wrong.
ChannelField = Annotated[str, WithJsonSchema({"type": "string", "enum": ["", *Channel.values], "default": ""})]
TrackingNumber = Annotated[str, Path(max_length=16, pattern=r"^[A-Za-z0-9-]+$")]
Filter = Text(100) | None


class ComplaintFilters(Schema):
    model_config = STRICT

    status: Literal[tuple(ComplaintStatus.values)] | None = None  # type: ignore[valid-type]
    risk_level: Literal["high", "medium", "low"] | None = None
    emergency: bool | None = None
    channel: Literal[tuple(Channel.values)] | None = None  # type: ignore[valid-type]
    department: Filter = None  # department code
    owner: Filter = None  # username
    q: Filter = None
    received_from: Instant | None = None
    received_to: Instant | None = None
    overdue: bool | None = None  # a running stage clock is past its due time
    possible_high_risk: bool | None = None  # the model says high where the rules did not


@router.post("/complaints", response={201: ComplaintDetailOut, **errors(400, 403, 422)})
def create_complaint(request: HttpRequest, payload: ComplaintIn):
    user = request.auth
    if not user.can(Capability.RECORD):
        raise AccessDenied("this role may not record complaints")
    now = timezone.now()
    complaint = grouped.record(validate_intake(payload.model_dump(), now=now), by=user, source=Source.API, now=now)
    return Status(201, complaint)


@router.get("/complaints/{tracking_number}", response={200: ComplaintDetailOut, **errors(403, 404, 422)})
def get_complaint(request: HttpRequest, tracking_number: TrackingNumber, full: bool = False):
    """Text and history come masked; `full=true` opens the full record with its personal data, for a
    role that may see it, and writes that into the complaint's history."""
    complaint = access_complaint(request.auth, tracking_number)
    if full:
        open_full_record(complaint, by=request.auth, now=timezone.now(), via="api")
        setattr(request, FULL_RECORD, True)
    return complaint


class Pages(PageNumberPagination):
    """Pages of at most 100; page numbers bounded, so the offset stays a number the database takes."""

    class Input(Schema):
        model_config = STRICT

        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=100)


@router.get("/complaints", response={200: list[ComplaintOut], **errors(422)})
@paginate(Pages, page_size=50)
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


@router.patch("/complaints/{tracking_number}", response={200: ComplaintDetailOut, **errors(400, 403, 404, 409, 422)})
def patch_complaint(request: HttpRequest, tracking_number: TrackingNumber, payload: FactsIn):
    """Correct or complete facts (lot quantities, product, amount …); the complaint and its neighbours
    are re-assessed. The original text, channel and time of receipt cannot change."""
    complaint = access_complaint(request.auth, tracking_number, write=True)
    change_facts(complaint, payload.model_dump(exclude_unset=True), by=request.auth, now=timezone.now())
    return complaint


@router.post("/complaints/{tracking_number}/attachments", response={201: AttachmentOut, **errors(403, 404, 422)})
def upload_attachment(request: HttpRequest, tracking_number: TrackingNumber, file: File[UploadedFile]):
    complaint = access_complaint(request.auth, tracking_number, write=True)
    return Status(201, add_attachment(complaint, file, by=request.auth, now=timezone.now(), field="file"))


@router.post("/imports", response={202: ImportJobOut, **errors(403, 422)}, tags=["imports"])
def create_import(request: HttpRequest, file: File[UploadedFile],
                  channel: ChannelField = Form("")):  # noqa: B008 - ninja reads a parameter so
    """Import a .csv or .xlsx file in the background (as the upload page does); follow it at
    `GET /api/imports/{id}` until `state` is `done` or `failed`."""
    return Status(202, queue_import(start_import(file, by=request.auth, channel=channel, now=timezone.now())))


@router.get("/imports/{job_id}", response={200: ImportJobOut, **errors(403, 404, 422)}, tags=["imports"])
def get_import(request: HttpRequest, job_id: Annotated[int, Path(ge=1, le=2**63 - 1)]):
    if not request.auth.can(Capability.IMPORT):
        raise AccessDenied("this role may not import files")
    return get_object_or_404(visible_import_jobs(request.auth), pk=job_id)
