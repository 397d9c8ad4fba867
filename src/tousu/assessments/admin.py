from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tousu.assessments.models import Incident, ModelActivation, PolicyVersion, RiskAssessment, RiskOverride
from tousu.assessments.policies import activate_policy
from tousu.core.admin import ReadOnly
from tousu.risk import PolicyError, load_policy_text


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Versions are added, never edited: paste a policy's YAML (it may `extends: default`), then activate."""

    list_display = ["name", "version", "is_active", "created_at", "created_by"]
    readonly_fields = ["sha256", "is_active", "created_at", "created_by"]
    actions = ["activate"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False  # the assessments made under a version name it

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        original_clean = form.clean

        def clean(self_form):
            data = original_clean(self_form)
            try:
                policy = load_policy_text(data.get("content", ""), source="content")
            except PolicyError as exc:
                raise ValidationError({"content": str(exc)}) from None
            if (policy.name, policy.version) != (data.get("name"), data.get("version")):
                raise ValidationError({"version": _("name and version must match the YAML (%(name)s %(version)s)")
                                       % {"name": policy.name, "version": policy.version}})
            return data

        form.clean = clean
        return form

    @admin.action(description=_("Activate the selected policy version"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version."), messages.ERROR)
            return
        activate_policy(queryset.get(), by=request.user)
        self.message_user(request, _("Policy activated; new assessments use it."))


# Assessments, overrides and incidents are the record of what Tousu decided and who changed it: shown here,
# never added, edited or deleted (issue 13: audit rows cannot be deleted from the admin).
@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnly):
    list_display = ["complaint", "risk_level", "emergency", "complaint_type", "policy_version", "trigger", "assessed_at"]
    list_filter = ["risk_level", "emergency", "trigger"]


@admin.register(RiskOverride)
class RiskOverrideAdmin(ReadOnly):
    list_display = ["complaint", "level", "by", "at"]


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    """Mass-incident warnings are opened by the detector and closed from the emergencies page."""

    list_display = ["opened_at", "key", "value", "state", "count_at_open", "expected", "closed_at"]
    list_filter = ["state", "key"]



@admin.register(ModelActivation)
class ModelActivationAdmin(admin.ModelAdmin):
    """Activations are made by `tousu model activate` (which evaluates the model first) and kept on file."""

    list_display = ["version", "source", "activated_by", "activated_at"]
    readonly_fields = ["version", "source", "evaluation", "activated_by", "activated_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
