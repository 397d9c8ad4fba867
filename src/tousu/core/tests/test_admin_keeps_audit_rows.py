"""The admin shows the record of what happened but lets nobody, not even a superuser, add, change or delete
it (issue 13): assessments, overrides, incidents, history events, complaints, clocks, transfers,
escalations, solutions, plans, the outbox and the audit chain's head and checkpoints."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.models import Incident, ModelActivation, PolicyVersion, RiskAssessment, RiskOverride
from tousu.complaints.admin import EventInline
from tousu.complaints.models import AuditCheckpoint, AuditHead, Complaint, ComplaintEvent, ImportJob
from tousu.notify.models import Notification
from tousu.testing import make_complaint, make_user
from tousu.workflow.models import Deadline, EmergencyPlan, Escalation, Solution, Survey, Transfer

pytestmark = pytest.mark.django_db

AUDIT_MODELS = [RiskAssessment, RiskOverride, Incident, Complaint, ModelActivation, ImportJob, AuditHead,
                AuditCheckpoint, Deadline, Escalation, Transfer, Solution, Survey, EmergencyPlan, Notification]


@pytest.fixture
def rows():
    agent = make_user(Role.AGENT)
    complaint = make_complaint(by=agent, text="热水壶底座冒烟，孩子手被烫伤")
    assessment = complaint.assessments.first()
    now = timezone.now()
    override = RiskOverride.objects.create(complaint=complaint, assessment=assessment, level="low",
                                           reason="误报", by=agent, at=now)
    incident = Incident.objects.create(key="product", value="热水壶", opened_at=now, count_at_open=12, expected=2.0)
    return {"complaint": complaint, "assessment": assessment, "override": override, "incident": incident}


@pytest.fixture
def superuser_client(client):
    client.force_login(make_user(Role.ADMIN))
    return client


@pytest.mark.parametrize("model", AUDIT_MODELS, ids=lambda m: m.__name__)
def test_no_one_may_add_change_or_delete_audit_rows_in_the_admin(rf, model):
    request = rf.get("/admin/")
    request.user = make_user(Role.ADMIN)
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request, obj=model())
    assert "delete_selected" not in model_admin.get_actions(request)


def test_policy_versions_are_never_deleted_and_events_never_edited(rf):
    request = rf.get("/admin/")
    request.user = make_user(Role.ADMIN)
    assert not admin.site._registry[PolicyVersion].has_delete_permission(request)
    inline = EventInline(Complaint, admin.site)
    assert not inline.can_delete
    assert not inline.has_add_permission(request) and not inline.has_change_permission(request)


@pytest.mark.parametrize("name", ["assessment", "override", "incident", "complaint"])
def test_the_delete_page_refuses_a_superuser_and_the_row_stays(superuser_client, rows, name):
    row = rows[name]
    opts = row._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_delete", args=[row.pk])
    assert superuser_client.get(url).status_code == 403
    assert superuser_client.post(url, {"post": "yes"}).status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_bulk_delete_action_deletes_nothing(superuser_client, rows):
    events = ComplaintEvent.objects.count()
    for name in ("assessment", "override", "incident", "complaint"):
        row = rows[name]
        opts = row._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert superuser_client.get(url).status_code == 200  # shown
        superuser_client.post(url, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
        assert type(row).objects.filter(pk=row.pk).exists()
    assert ComplaintEvent.objects.count() == events


def test_the_change_page_saves_nothing(superuser_client, rows):
    override = rows["override"]
    url = reverse("admin:assessments_riskoverride_change", args=[override.pk])
    superuser_client.post(url, {"level": "high", "reason": "改掉", "at_0": "2026-01-01", "at_1": "00:00:00"})
    override.refresh_from_db()
    assert (override.level, override.reason) == ("low", "误报")
