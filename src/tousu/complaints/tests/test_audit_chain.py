"""R-SEC-4: every history event is chained by hash to the one before it, and `tousu verify-audit` finds a row
changed, deleted or inserted behind Tousu's back, naming the first bad row and why."""

import csv
import importlib
import io
import json
from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints import events
from tousu.complaints.admin import EventInline
from tousu.complaints.choices import EventKind
from tousu.complaints.models import AuditCheckpoint, AuditHead, Complaint, ComplaintEvent
from tousu.core import chain
from tousu.intake.imports import import_file
from tousu.testing import make_complaint, make_user
from tousu.workflow.actions.transitions import acknowledge

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Two complaints with a few events each, written through the ordinary actions."""
    agent = make_user(Role.AGENT)
    now = timezone.now()
    first = make_complaint(by=agent, now=now)
    second = make_complaint(by=agent, now=now, text="快递丢件，客服不理")
    acknowledge(first, by=agent, now=now + timedelta(minutes=5))
    ComplaintEvent.objects.create(complaint=second, kind=EventKind.NOTE, actor=agent, at=now, note="回电客户",
                                  data={"phone": "13812345678"})
    first.events.create(kind=EventKind.CONTACT, actor=agent, at=now + timedelta(minutes=9), note="再次回电")
    return list(ComplaintEvent.objects.order_by("id"))


def verify_audit(*args):
    out = StringIO()
    call_command("verify-audit", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def broken(*args):
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verify-audit", "--json", *args, stdout=out)
    assert caught.value.returncode == 1
    return json.loads(out.getvalue())["problem"], str(caught.value)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def forged_row(*, id, seq, prev_hash, complaint_id, at):
    digest = chain.event_hash(seq=seq, complaint_id=complaint_id, kind="note", actor_id=None, at=at, note="伪造",
                              data={}, prev_hash=prev_hash)
    raw("INSERT INTO complaints_complaintevent (id, complaint_id, kind, actor_id, at, note, data, seq, prev_hash,"
        " hash) VALUES (%s, %s, 'note', NULL, %s, '伪造', '{}', %s, %s, %s)",
        [id, complaint_id, at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "), seq, prev_hash,
         digest])


def test_a_normal_history_verifies_and_ends_at_the_head(history):
    head = AuditHead.objects.get(pk=1)
    assert [e.seq for e in history] == list(range(history[0].seq, history[0].seq + len(history)))
    assert (head.last_event_id, head.last_hash) == (history[-1].pk, history[-1].hash)
    result = verify_audit("--full")
    assert result["ok"] and result["problem"] is None and result["last_event"] == history[-1].pk
    out = StringIO()
    call_command("verify-audit", stdout=out)
    assert str(history[-1].pk) in out.getvalue()


def test_a_note_changed_by_raw_sql_is_named(history):
    target = history[2]
    raw("UPDATE complaints_complaintevent SET note = %s WHERE id = %s", ["改过的记录", target.pk])
    problem, message = broken("--full")
    assert (problem["event_id"], problem["reason"]) == (target.pk, "changed")
    assert str(target.pk) in message


def test_a_changed_note_with_a_recomputed_hash_is_found_at_the_next_row(history):
    target = history[1]
    target.note = "改过"
    digest = chain.event_hash(seq=target.seq, complaint_id=target.complaint_id, kind=target.kind,
                              actor_id=target.actor_id, at=target.at, note=target.note, data=target.data,
                              prev_hash=target.prev_hash)
    raw("UPDATE complaints_complaintevent SET note = %s, hash = %s WHERE id = %s", [target.note, digest, target.pk])
    problem, _message = broken("--full")
    assert (problem["event_id"], problem["reason"]) == (target.pk, "changed")


def test_a_row_deleted_in_the_middle_is_named_by_its_place(history):
    target = history[2]
    raw("DELETE FROM complaints_complaintevent WHERE id = %s", [target.pk])
    problem, message = broken("--full")
    assert problem["reason"] == "deleted" and f"#{target.seq}" in problem["detail"]


def test_the_last_row_deleted_is_found_against_the_head(history):
    raw("DELETE FROM complaints_complaintevent WHERE id = %s", [history[-1].pk])
    problem, _message = broken("--full")
    assert problem["reason"] == "deleted" and str(history[-1].pk) in problem["detail"]


def test_a_row_with_a_forged_hash_inserted_at_the_end_is_named(history):
    last = history[-1]
    forged_row(id=last.pk + 1, seq=last.seq + 1, prev_hash=last.hash, complaint_id=last.complaint_id, at=last.at)
    problem, _message = broken("--full")
    assert (problem["event_id"], problem["reason"]) == (last.pk + 1, "inserted")


def test_a_row_with_a_forged_hash_inserted_in_the_middle_is_named(history):
    last = history[-1]
    gap = last.pk + 1
    # Leave an id free in the middle, as PostgreSQL does after a rolled-back insert.
    raw("INSERT INTO complaints_complaintevent (id, complaint_id, kind, at, note, data, seq, prev_hash, hash) "
        "VALUES (%s, %s, 'note', '2026-01-01 00:00:00', '', '{}', 0, '', '')", [gap, last.complaint_id])
    raw("DELETE FROM complaints_complaintevent WHERE id = %s", [gap])
    if connection.vendor == "postgresql":  # an explicit id does not move PostgreSQL's sequence
        raw("SELECT setval(pg_get_serial_sequence('complaints_complaintevent', 'id'), %s)", [gap])
    later = ComplaintEvent.objects.create(complaint_id=last.complaint_id, kind=EventKind.NOTE, at=last.at, note="后来")
    assert later.pk > gap and verify_audit("--full")["ok"]
    forged_row(id=gap, seq=last.seq + 1, prev_hash=last.hash, complaint_id=last.complaint_id, at=last.at)
    problem, _message = broken("--full")
    assert (problem["event_id"], problem["reason"]) == (gap, "inserted")


def test_a_changed_head_is_named(history):
    AuditHead.objects.filter(pk=1).update(last_hash="f" * 64)
    problem, _message = broken("--full")
    assert problem["reason"] == "head"


def test_an_import_of_many_rows_verifies():
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["external_id", "text"]] + [[f"A{i}", f"第{i}件投诉，产品有异味"] for i in range(2500)])
    report = import_file(io.BytesIO(buffer.getvalue().encode()), "many.csv", by=None, now=timezone.now())
    assert report.created == 2500
    assert ComplaintEvent.objects.filter(kind=EventKind.IMPORTED).count() == 2500
    result = verify_audit("--full")
    assert result["ok"] and result["checked"] == ComplaintEvent.objects.count()


def test_a_rolled_back_action_leaves_no_link(history):
    head_before = AuditHead.objects.values_list("last_seq", "last_hash").get(pk=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        ComplaintEvent.objects.create(complaint=history[0].complaint, kind=EventKind.NOTE, at=timezone.now())
        raise RuntimeError("the action failed after writing its event")
    assert AuditHead.objects.values_list("last_seq", "last_hash").get(pk=1) == head_before
    assert verify_audit("--full")["ok"]
    after = ComplaintEvent.objects.create(complaint=history[0].complaint, kind=EventKind.NOTE, at=timezone.now())
    assert after.seq == head_before[0] + 1 and verify_audit("--full")["ok"]


def test_bulk_create_and_save_go_through_the_chain_and_a_stored_event_is_never_saved_again(history):
    complaint = history[0].complaint
    made = ComplaintEvent.objects.bulk_create([ComplaintEvent(complaint=complaint, kind=EventKind.NOTE,
                                                              at=timezone.now(), note=str(i)) for i in range(3)])
    single = ComplaintEvent(complaint=complaint, kind=EventKind.NOTE, at=timezone.now())
    single.save()
    assert [e.prev_hash for e in made[1:]] == [e.hash for e in made[:-1]] and single.prev_hash == made[-1].hash
    assert verify_audit("--full")["ok"]
    single.note = "改"
    with pytest.raises(ValueError, match="append-only"):
        single.save()


def test_checkpoints_let_a_later_run_start_late_and_are_themselves_checked(history):
    for i in range(7):
        ComplaintEvent.objects.create(complaint=history[0].complaint, kind=EventKind.NOTE, at=timezone.now(), note=str(i))
    total = ComplaintEvent.objects.count()
    first = events.verify(checkpoint_every=3)
    assert first.ok and first.checkpoints_written == total // 3 and not first.from_checkpoint
    second = events.verify(checkpoint_every=3)
    assert second.ok and second.from_checkpoint and second.checked == total % 3
    assert events.verify(full=True, checkpoint_every=3).checked == total
    AuditCheckpoint.objects.filter(seq=3).update(event_hash="e" * 64)
    assert events.verify(checkpoint_every=3).problem.reason == "checkpoint"


def test_a_change_before_the_last_checkpoint_needs_full_to_be_found(history):
    for i in range(5):
        ComplaintEvent.objects.create(complaint=history[0].complaint, kind=EventKind.NOTE, at=timezone.now(), note=str(i))
    assert events.verify(checkpoint_every=2).ok
    first = ComplaintEvent.objects.order_by("id").first()
    raw("UPDATE complaints_complaintevent SET note = 'x' WHERE id = %s", [first.pk])
    assert events.verify(checkpoint_every=2).ok  # trusted: it lies before the last checkpoint
    full = events.verify(full=True, checkpoint_every=2)
    assert (full.problem.event_id, full.problem.reason) == (first.pk, "changed")


def test_the_migration_chains_the_events_already_stored(history):
    raw("UPDATE complaints_complaintevent SET seq = 0, prev_hash = '', hash = ''")
    AuditHead.objects.all().delete()
    migration = importlib.import_module("tousu.complaints.migrations.0013_audit_chain")
    migration.link_existing_events(apps, type("Editor", (), {"connection": connection})())
    result = verify_audit("--full")
    assert result["ok"] and result["checked"] == len(history)


def test_audit_rows_cannot_be_changed_or_deleted_from_the_admin_nor_with_their_complaint(history, rf):
    request = rf.get("/admin/")
    request.user = make_user(Role.ADMIN, username="root")
    for model in (AuditHead, AuditCheckpoint):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_delete_permission(request) and not model_admin.has_change_permission(request)
    event_inline = EventInline(Complaint, admin.site)
    assert not event_inline.has_change_permission(request) and not event_inline.can_delete
    with pytest.raises(ProtectedError):
        next(event for event in history if event.complaint_id).complaint.delete()
