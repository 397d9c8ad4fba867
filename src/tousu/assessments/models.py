import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

LEVEL_CHOICES = [("high", _("High")), ("medium", _("Medium")), ("low", _("Low"))]


class PolicyVersion(models.Model):
    """One version of a risk policy, stored whole (after `extends` is resolved) and never edited:
    assessments point at the version they used, so changing the policy never rewrites the past."""

    name = models.CharField(_("name"), max_length=60)
    version = models.CharField(_("version"), max_length=40)
    content = models.TextField(_("policy (YAML)"))
    sha256 = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="policy_version_unique"),
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="one_active_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}{' ✓' if self.is_active else ''}"

    def save(self, *args, **kwargs):
        self.sha256 = hashlib.sha256(self.content.encode()).hexdigest()
        super().save(*args, **kwargs)


class RiskAssessment(models.Model):
    # db_index=False: the (complaint, -assessed_at) index serves lookups by complaint.
    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="assessments",
                                  db_index=False)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="assessments")
    risk_level = models.CharField(_("risk level"), max_length=10, choices=LEVEL_CHOICES)
    severity_grade = models.PositiveSmallIntegerField(_("severity grade"))
    priority = models.CharField(_("priority"), max_length=10)
    emergency = models.BooleanField(_("emergency"))
    complaint_type = models.CharField(_("complaint type"), max_length=40)
    complaint_subtype = models.CharField(max_length=40, blank=True)
    defect_grade = models.CharField(_("defect grade"), max_length=10, blank=True)
    factors = models.JSONField(default=list)
    reasons = models.JSONField(default=list)
    # The learned model's view beside the rules (R-RA-8): type, confidence, high-risk probability, version.
    suggestion = models.JSONField(default=dict, blank=True)
    trigger = models.CharField(max_length=30)  # intake, facts_changed, lot_changed, repeat, reassess
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["complaint", "-assessed_at"])]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.risk_level}"


class RiskOverride(models.Model):
    """A person's level in place of the assessed one (R-RA-7); both stay visible."""

    complaint = models.ForeignKey("complaints.Complaint", on_delete=models.CASCADE, related_name="risk_overrides")
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="overrides")
    level = models.CharField(_("overridden level"), max_length=10, choices=LEVEL_CHOICES)
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("risk override")
        verbose_name_plural = _("risk overrides")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.level}"


class Incident(models.Model):
    """A mass-incident early warning (R-RA-9): a sudden rise of similar complaints, linked together; while
    it is open their impact scope counts as high."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    # The attribute it is named after (its most improbable spike); every attribute is an IncidentAttribute.
    key = models.CharField(_("similar by"), max_length=20)  # product, lot, region, cluster
    value = models.CharField(_("value"), max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    count_at_open = models.PositiveIntegerField(_("complaints in the window"))
    expected = models.FloatField(_("usual number in a window"))
    p_value = models.FloatField(_("significance (Poisson tail)"), default=0.0)
    complaints = models.ManyToManyField("complaints.Complaint", related_name="incidents")
    # The one emergency plan the incident proposes for all its complaints.
    emergency_plan = models.ForeignKey("workflow.EmergencyPlan", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="incidents")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("mass-incident warning")
        verbose_name_plural = _("mass-incident warnings")
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key", "value"], condition=models.Q(state="open"),
                                               name="one_open_incident_per_group")]

    def __str__(self) -> str:
        return f"{self.key}={self.value} ({self.state})"


class IncidentAttribute(models.Model):
    """One attribute an incident's complaints share (product, lot, region, or a text cluster named by its
    n-grams): spikes on overlapping attributes merge into one incident, and a later complaint with any of
    them joins it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attributes")
    key = models.CharField(_("similar by"), max_length=20)
    value = models.CharField(_("value"), max_length=200)
    count = models.PositiveIntegerField(_("complaints in the window"))
    expected = models.FloatField(_("usual number in a window"))
    p_value = models.FloatField(_("significance (Poisson tail)"))

    class Meta:
        verbose_name = _("incident attribute")
        verbose_name_plural = _("incident attributes")
        constraints = [models.UniqueConstraint(fields=["incident", "key", "value"], name="incident_attribute_once")]
        indexes = [models.Index(fields=["key", "value"])]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class ReferenceCase(models.Model):
    """A closed complaint kept in the case library (R-RP-3): its solution and outcome, as marked."""

    complaint = models.OneToOneField("complaints.Complaint", on_delete=models.CASCADE, related_name="reference_case")
    solution = models.TextField(_("how it was solved"))
    outcome = models.TextField(_("outcome"))
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(_("marked at"))

    class Meta:
        verbose_name = _("reference case")
        verbose_name_plural = _("reference cases")
        ordering = ["-marked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}"


class ModelActivation(models.Model):
    """A trained text model put in use by a person with the configure capability, after seeing its
    evaluation on labelled rows it was not trained on (R-RA-8 "evaluated before use"; the PIPL asks for an
    assessment on file for automated decisions). Intake uses a model only while its version is activated."""

    version = models.CharField(_("model version"), max_length=80, unique=True)
    source = models.CharField(_("trained on"), max_length=200, blank=True)
    evaluation = models.JSONField(_("evaluation on held-out rows"), default=dict)
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(_("activated at"))

    class Meta:
        verbose_name = _("model activation")
        verbose_name_plural = _("model activations")
        ordering = ["-activated_at"]

    def __str__(self) -> str:
        return f"{self.version} ({self.activated_at:%Y-%m-%d})"
