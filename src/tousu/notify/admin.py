from django.contrib import admin
from django.db import models

from tousu.core.admin import ReadOnly
from tousu.notify.models import Notification, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Chat-group robots: paste the robot's webhook URL and pick its message format."""

    list_display = ["name", "kind", "department", "active"]
    list_filter = ["kind", "active"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    """The outbox, for looking at what was sent, what waits for a retry and what failed."""

    list_display = ["created_at", "kind", "channel", "address", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "channel", "kind"]
    search_fields = ["address", "subject", "key"]
