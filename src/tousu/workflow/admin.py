from django.contrib import admin

from tousu.core.admin import ReadOnly
from tousu.workflow.models import Deadline, EmergencyPlan, Escalation, Solution, Survey, Transfer


@admin.register(Deadline)
class DeadlineAdmin(ReadOnly):
    list_display = ["complaint", "stage", "due_at", "met_at", "paused_at", "escalation_level", "extended_at"]
    list_filter = ["stage", "escalation_level"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnly):
    list_display = ["at", "complaint", "level", "step", "reason"]
    list_filter = ["step"]


@admin.register(Transfer)
class TransferAdmin(ReadOnly):
    list_display = ["at", "complaint", "from_user", "to_user", "to_department", "by", "reason"]


@admin.register(Solution)
class SolutionAdmin(ReadOnly):
    list_display = ["proposed_at", "complaint", "compensation", "status", "proposed_by"]
    list_filter = ["status"]


@admin.register(Survey)
class SurveyAdmin(ReadOnly):
    list_display = ["sent_at", "complaint", "answered_at", "score"]
    exclude = ["token"]  # the link is the customer's key


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(ReadOnly):
    list_display = ["proposed_at", "title", "state", "golden_due_at", "activated_at", "closed_at"]
    list_filter = ["state"]
