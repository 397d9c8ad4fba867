from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tousu.complaints.choices import Channel, CustomerLevel, Demand, EventKind, Source, Status


class Complaint(models.Model):
    tracking_number = models.CharField(_("tracking number"), max_length=16, unique=True)

    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)  # blank: anonymous
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), max_length=200, blank=True)
    customer_level = models.CharField(
        _("customer level"), max_length=20, choices=CustomerLevel.choices, default=CustomerLevel.REGULAR
    )
    company = models.CharField(_("company"), max_length=200, blank=True)

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    text = models.TextField(_("complaint text"))
    demand = models.CharField(_("core demand"), max_length=20, choices=Demand.choices, blank=True)
    product = models.CharField(_("product / model"), max_length=200, blank=True)
    order_no = models.CharField(_("order number"), max_length=100, blank=True)
    lot = models.CharField(_("production lot"), max_length=100, blank=True)  # indexed with its quantities
    quantity_delivered = models.PositiveIntegerField(_("quantity delivered"), null=True, blank=True)
    quantity_defective = models.PositiveIntegerField(_("quantity defective"), null=True, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount involved"), max_digits=14, decimal_places=2, null=True, blank=True)

    # The current risk, denormalised from the latest assessment (and override) for lists and filters.
    risk_level = models.CharField(_("risk level"), max_length=10, blank=True, db_index=True)
    assessed_level = models.CharField(_("assessed level"), max_length=10, blank=True)
    severity_grade = models.PositiveSmallIntegerField(_("severity grade"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, blank=True)
    emergency = models.BooleanField(_("emergency"), default=False)
    complaint_type = models.CharField(_("complaint type"), max_length=40, blank=True)
    defect_grade = models.CharField(_("defect grade"), max_length=10, blank=True)
    # The defect-catalogue item the text describes (manufacturing policies): "the same problem again".
    problem_key = models.CharField(_("defect item"), max_length=100, blank=True)
    # The learned model thinks this is high risk while the rules did not say so: a person should look.
    possible_high_risk = models.BooleanField(_("possible high risk (model)"), default=False)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    # Waiting for the customer (documents, an answer): the stage clocks stand still since then.
    waiting_since = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="complaints", db_index=False,  # (department, received_at) serves
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="owned_complaints",
    )
    # 首问负责: whoever first took the complaint stays visible and accountable after transfers.
    first_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="first_owned_complaints",
    )
    source = models.CharField(_("recorded through"), max_length=20, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Import idempotence: "ext:<external_id>" or "fp:<sha256 of the content>"; NULL for other paths.
    import_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["department", "received_at"]),
            models.Index(fields=["channel", "received_at"]),
            # Lot totals (defect rate of a lot) are summed at every intake: read from the index alone.
            models.Index(fields=["lot", "quantity_delivered", "quantity_defective"], name="lot_quantities"),
            # Every intake counts the same customer's and the same product's recent complaints (repetition,
            # impact scope, reopening): without these it read every complaint of the window.
            models.Index(fields=["phone", "received_at"], name="customer_phone_recent"),
            models.Index(fields=["email", "received_at"], name="customer_email_recent"),
            models.Index(fields=["product", "received_at"], name="product_recent"),
            models.Index(fields=["product", "problem_key", "received_at"], name="same_problem_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity_defective__isnull=True)
                | models.Q(quantity_delivered__isnull=True)
                | models.Q(quantity_defective__lte=models.F("quantity_delivered")),
                name="defective_not_above_delivered",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0) | models.Q(amount__isnull=True),
                                   name="amount_not_negative"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def defect_rate(self) -> float | None:
        if not self.quantity_delivered or self.quantity_defective is None:
            return None
        return self.quantity_defective / self.quantity_delivered


def attachment_path(instance: "Attachment", filename: str) -> str:
    # Content-addressed: the same file stored twice is one file on disk.
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class EventManager(models.Manager):
    """Every new event is appended to the audit chain (R-SEC-4) through `tousu.complaints.events`, so
    `ComplaintEvent.objects.create(...)`, `complaint.events.create(...)` and `bulk_create` all link it."""

    def create(self, **fields):
        from tousu.complaints import events  # events imports this module

        return events.record(**fields)

    def bulk_create(self, objs, *args, **kwargs):
        from tousu.complaints import events

        return events.append(list(objs))


class ComplaintEvent(models.Model):
    """One entry of a complaint's history: who did what when, with before/after values in `data`.
    Append-only and hash-chained (R-SEC-4): `seq` is its place in the one chain of all events,
    `hash` the SHA-256 of its fields and `prev_hash` (tousu.core.chain)."""

    # db_index=False: the (complaint, at) index serves lookups by complaint; one index less per event.
    # PROTECT: deleting a complaint must not delete its audit trail.
    # Empty for the few events of the whole system (a policy put in force).
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events", db_index=False,
                                  null=True, blank=True)
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    seq = models.PositiveBigIntegerField(_("place in the audit chain"), default=0, editable=False)
    prev_hash = models.CharField(_("previous hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = EventManager()

    class Meta:
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        """A new event is appended to the chain; a stored one is never rewritten through the ORM."""
        from tousu.complaints import events

        if not self._state.adding:
            raise ValueError("complaint events are append-only: a stored event is never saved again")
        events.append([self])


class AuditHead(models.Model):
    """The one row (id 1) that holds the end of the audit chain. Appending locks it (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise writers already), so the chain is one sequence
    with any number of writers, and it is updated in the transaction that writes the events."""

    last_event_id = models.BigIntegerField(default=0)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class AuditCheckpoint(models.Model):
    """An event that `tousu verify-audit` found good at the end of a good walk (every 10,000 events); a
    later run starts after the last one unless --full. Checkpoints are chained by hash like events."""

    event_id = models.BigIntegerField()  # no foreign key: a checkpoint outlives any tampering with events
    seq = models.PositiveBigIntegerField(unique=True)
    event_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    made_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_hash[:12]}"


# The columns of a history event as `insert_rows(ComplaintEvent, EVENT_COLUMNS, …)` takes them.
EVENT_COLUMNS = ("complaint", "kind", "actor", "at", "note", "data")


class ChannelDuty(models.Model):
    """The duty agent who first owns complaints arriving unattended through a channel (首问负责)."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, unique=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("duty agent"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("department"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("channel duty")
        verbose_name_plural = _("channel duties")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.agent}"


def any_of(**fields) -> Q:
    """OR of the given non-empty field values, e.g. the same phone or the same email; empty Q when none."""
    condition = Q()
    for name, value in fields.items():
        if value:
            condition |= Q(**{name: value})
    return condition


def same_customer(complaint: "Complaint") -> Q:
    return any_of(phone=complaint.phone, email=complaint.email)


def same_lot_or_product(complaint: "Complaint") -> Q:
    return any_of(lot=complaint.lot, product=complaint.product)



class ImportJob(models.Model):
    """An uploaded file imported in the background, with its progress and its report. It survives a
    worker restart: each committed batch moves `after_row` on, and a stalled job goes on from there."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped with an error")

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    default_channel = models.CharField(_("channel for rows that name none"), max_length=20, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # the last committed batch
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Progress and report, as far as committed.
    after_row = models.PositiveIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{row, column, reason}], the first MAX_ERRORS
    error_count = models.PositiveIntegerField(default=0)
    ignored_columns = models.JSONField(default=list, blank=True)
    tracking_numbers = models.JSONField(default=list, blank=True)  # the first few created
    failure = models.TextField(blank=True)

    MAX_ERRORS = 1000

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return self.original_name

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        """How far the file has been read, where it can be told: rows of an .xlsx, bytes of a .csv."""
        if self.state == self.State.DONE:
            return 100
        if self.total_rows:
            return min(99, (self.after_row - 1) * 100 // self.total_rows)
        if self.size and self.original_name.lower().endswith(".csv"):
            return min(99, self.bytes_read * 100 // self.size)
        return None


class SavedFilter(models.Model):
    """A complaint-list filter a user keeps under a name (the list's query string)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_name_unique")]

    def __str__(self) -> str:
        return self.name
