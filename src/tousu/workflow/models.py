from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tousu.timeline.rules import Stage

STAGE_CHOICES = [
    (Stage.ACKNOWLEDGE.value, _("Acknowledge")),
    (Stage.FIRST_RESPONSE.value, _("First response")),
    (Stage.INVESTIGATION.value, _("Investigation")),
    (Stage.SOLUTION.value, _("Solution")),
    (Stage.APPROVAL.value, _("Approval")),
    (Stage.CUSTOMER_FEEDBACK.value, _("Customer feedback")),
    (Stage.FOLLOW_UP.value, _("Follow-up")),
    (Stage.DELAY_NOTICE.value, _("Notice of a longer handling time")),
    (Stage.RESULT_FEEDBACK.value, _("Result told to the customer")),
    (Stage.REFUND.value, _("Refund")),
    (Stage.MEDIATION.value, _("Mediation")),
    (Stage.MEDIATION_NOTICE.value, _("Notice that mediation ended")),
    (Stage.FIRST_FOLLOW_UP.value, _("First follow-up")),
    (Stage.SECOND_FOLLOW_UP.value, _("Second follow-up")),
]


class PauseKind(models.TextChoices):
    CUSTOMER = "customer", _("Waiting for the customer")
    APPRAISAL = "appraisal", _("Appraisal, testing or assessment")


class Outcome(models.TextChoices):
    """How a clock that can end otherwise than by being met ended."""

    AGREED = "agreed", _("agreement reached")
    ENDED = "ended", _("ended without agreement")
    LAPSED = "lapsed", _("ended: no agreement within the limit")


class Deadline(models.Model):
    """One stage clock of one complaint (R-WF-3): when it started, when it is due, when it was met;
    paused while the complaint waits for the customer; warned and escalated by the sweep (R-WF-4)."""

    # db_index=False: the (complaint, stage) index below serves lookups by complaint.
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="deadlines",
                                  db_index=False)
    stage = models.CharField(_("stage"), max_length=20, choices=STAGE_CHOICES)
    duration = models.JSONField(_("limit"))  # e.g. {"working_days": 5}
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("due at"))
    warn_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    # While paused: the time that was left, in the limit's own kind of time (seconds).
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_remaining = models.FloatField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)  # total pause, for reports
    pause_kind = models.CharField(max_length=10, choices=PauseKind.choices, blank=True)  # while paused
    # Time excluded from the limit (appraisal, testing, assessment), in wall-clock seconds.
    excluded_seconds = models.FloatField(default=0)
    source = models.CharField(_("rule"), max_length=200, blank=True)  # the clause the limit comes from
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # steps taken after the due time
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_index=False)
    extension_reason = models.TextField(blank=True)
    second_extended_at = models.DateTimeField(null=True, blank=True)
    second_extended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", db_index=False)
    second_extension_reason = models.TextField(blank=True)
    # Set by the sweep's claiming UPDATE so it can read back exactly the rows it took.
    sweep_token = models.CharField(max_length=32, blank=True, db_index=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        indexes = [
            # the sweep's two questions: what to warn about, what to escalate
            models.Index(fields=["warn_at"], condition=models.Q(met_at__isnull=True, warned_at__isnull=True,
                                                                paused_at__isnull=True), name="deadline_to_warn"),
            models.Index(fields=["next_escalation_at"], condition=models.Q(met_at__isnull=True, paused_at__isnull=True),
                         name="deadline_to_escalate"),
            models.Index(fields=["complaint", "stage"]),
        ]
        constraints = [models.UniqueConstraint(fields=["complaint", "stage"], condition=models.Q(met_at__isnull=True),
                                               name="one_open_clock_per_stage")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.stage} {self.due_at:%Y-%m-%d %H:%M}"

    def is_overdue(self, now) -> bool:
        return self.met_at is None and self.paused_at is None and self.due_at < now


class ClockPause(models.Model):
    """One stop of a complaint's clocks: waiting for the customer, or time excluded from the limits
    (appraisal, testing, assessment), with its reason and who started and ended it."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="clock_pauses")
    kind = models.CharField(_("kind"), max_length=10, choices=PauseKind.choices)
    reason = models.TextField(_("reason"))
    started_at = models.DateTimeField(_("started at"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["started_at", "id"]
        constraints = [models.UniqueConstraint(fields=["complaint"], condition=models.Q(ended_at__isnull=True),
                                               name="one_open_pause_per_complaint")]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float | None:
        return None if self.ended_at is None else (self.ended_at - self.started_at).total_seconds()


class MergedRepeat(models.Model):
    """合并处理: a repeat about the same matter inside the first complaint's handling period. Without new
    facts it is merged (no clock of its own); with new facts its own clocks run, and the link stays."""

    first = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="repeats")
    repeat = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="repeat_of")
    new_facts = models.JSONField(_("new facts"), default=dict, blank=True)  # field → the repeat's value
    merged = models.BooleanField(_("merged"))
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("repeat complaint")
        verbose_name_plural = _("repeat complaints")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.repeat_id} → {self.first_id}"


class TimeBarCheck(models.Model):
    """When the customer knew of the harm, and whether the policy's time bar makes the complaint not
    acceptable (market regulator Art. 15: more than three years)."""

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="time_bar")
    harm_known_on = models.DateField(_("harm known on"))
    barred = models.BooleanField(_("not acceptable: time-barred"))
    limit = models.JSONField(_("limit"))
    source = models.CharField(_("rule"), max_length=200, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("time-bar check")
        verbose_name_plural = _("time-bar checks")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.harm_known_on} {'barred' if self.barred else 'in time'}"


class Escalation(models.Model):
    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="escalations")
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"))
    step = models.CharField(_("step"), max_length=20)  # owner, manager, leader
    recipients = models.JSONField(default=list)  # user ids notified
    at = models.DateTimeField(_("at"))
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} L{self.level} {self.step}"


class Transfer(models.Model):
    """首问负责: a complaint changes hands only through a recorded transfer with a reason (R-WF-2)."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="transfers")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    to_department = models.ForeignKey("accounts.Department", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.to_user_id or self.to_department_id}"


class Solution(models.Model):
    """A proposed remedy (R-WF-5) and its approval chain."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="solutions")
    measures = models.TextField(_("measures"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("carried out by"), on_delete=models.PROTECT,
                              related_name="+")
    due_date = models.DateField(_("due date"))
    expected_effect = models.TextField(_("expected effect"), blank=True)
    compensation = models.DecimalField(_("compensation amount"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(_("status"), max_length=10, choices=Decision.choices, default=Decision.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"))

    class Meta:
        verbose_name = _("solution")
        verbose_name_plural = _("solutions")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} ¥{self.compensation} {self.status}"


class ApprovalStep(models.Model):
    solution = models.ForeignKey(Solution, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    role = models.CharField(_("role"), max_length=20)  # who may decide this step
    decision = models.CharField(_("decision"), max_length=10, choices=Solution.Decision.choices,
                                default=Solution.Decision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["solution", "order"]
        constraints = [models.UniqueConstraint(fields=["solution", "order"], name="approval_step_order")]

    def __str__(self) -> str:
        return f"{self.solution_id} #{self.order} {self.role} {self.decision}"


class RootCause(models.Model):
    """R-WF-6: cause category, a 5-Why chain, who is responsible, and the evidence."""

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="root_cause")
    category = models.CharField(_("cause category"), max_length=40)
    whys = models.JSONField(_("5-Why chain"), default=list)
    responsible_department = models.ForeignKey("accounts.Department", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+")
    responsible_person = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    evidence = models.ManyToManyField("complaints.Attachment", blank=True, related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.category}"


class Survey(models.Model):
    """R-WF-8: the satisfaction survey sent after closing, answered through a token link without login."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="surveys")
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.score or '—'}"


class EmergencyPlan(models.Model):
    """R-WF-7: proposed by an assessment's emergency flag, activated by the team leader, closed with a review."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED)
    complaints = models.ManyToManyField("complaints.Complaint", related_name="emergency_plans")
    proposed_at = models.DateTimeField(_("proposed at"))
    golden_due_at = models.DateTimeField(_("acknowledge by"))  # the 2-hour golden period
    # When the sweep reminded everyone that a proposed plan outlived its golden period unconfirmed.
    overdue_reminded_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_review = models.TextField(_("closing review"), blank=True)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return self.title


class EmergencyMember(models.Model):
    class TeamRole(models.TextChoices):
        LEADER = "leader", _("Leader")
        ON_SITE = "on_site", _("On-site handling")
        LOGISTICS = "logistics", _("Logistics support")
        RECORDS = "records", _("Records and analysis")

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team_role = models.CharField(_("team role"), max_length=12, choices=TeamRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "user", "team_role"], name="emergency_member_once")]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.user_id} {self.team_role}"


class EmergencyLog(models.Model):
    """A line of a plan's timeline. What the system records is stored as an event code with its facts and
    rendered in the reader's language (core.display.emergency_log_text); `text` holds only what a person
    wrote (a progress report, an action taken, the reason for declining)."""

    class Kind(models.TextChoices):
        ACTION = "action", _("Action")
        PROGRESS = "progress", _("Progress report")
        STATE = "state", _("State change")

    class Event(models.TextChoices):
        PROPOSED = "proposed", _("proposed")  # data: {"by": "assessment" | "incident"}
        ACTIVATED = "activated", _("activated")
        DECLINED = "declined", _("declined")  # text: the leader's reason
        CLOSED = "closed", _("closed")
        JOINED = "joined", _("joined the team")  # data: {"members": [[name, team_role], …]}
        LINKED = "linked", _("complaint linked")  # data: {"tracking_number": …}

    plan = models.ForeignKey(EmergencyPlan, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    event = models.CharField(max_length=10, choices=Event.choices, blank=True)  # blank: a person's own words
    data = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


def root_cause_of(complaint) -> RootCause | None:
    try:
        return complaint.root_cause
    except RootCause.DoesNotExist:
        return None

