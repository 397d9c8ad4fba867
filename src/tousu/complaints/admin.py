from django.contrib import admin

from tousu.complaints.models import (
    Attachment,
    AuditCheckpoint,
    AuditHead,
    ChannelDuty,
    Complaint,
    ComplaintEvent,
    ImportJob,
)
from tousu.core.admin import ReadOnly


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "actor", "at", "note", "data", "seq", "hash"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # history is append-only and hash-chained (R-SEC-4)


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = False
    readonly_fields = ["original_name", "size", "sha256", "uploaded_by", "uploaded_at"]
    exclude = ["file"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Read-only here: complaints change through Tousu's actions, which keep the history."""

    list_display = ["tracking_number", "received_at", "channel", "status", "owner", "department"]
    list_filter = ["status", "channel", "department"]
    search_fields = ["tracking_number", "text", "customer_name"]
    inlines = [AttachmentInline, EventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # no complaint is lost; personal data goes by `tousu purge`, which keeps the record


@admin.register(ChannelDuty)
class ChannelDutyAdmin(admin.ModelAdmin):
    list_display = ["channel", "agent", "department"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnly):
    list_display = ["original_name", "by", "created_at", "state", "created", "duplicates", "error_count"]
    list_filter = ["state"]


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnly):
    list_display = ["last_seq", "last_event_id", "last_hash"]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnly):
    list_display = ["seq", "event_id", "event_hash", "made_at"]
