"""`read_snapshot()`: the queries inside see one moment of the database, without the write lock."""

import threading

import pytest
from django.db import connection, transaction

from tousu.complaints.models import Complaint
from tousu.core.snapshot import read_snapshot
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db(transaction=True)


def _write_elsewhere(text: str) -> None:
    def write():
        try:
            make_complaint(text=text)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join(30)


def test_a_commit_made_during_the_snapshot_is_seen_only_after_it():
    make_complaint(text="第一条")
    with read_snapshot():
        assert Complaint.objects.count() == 1
        _write_elsewhere("第二条")  # another connection writes and commits meanwhile: not kept waiting
        assert Complaint.objects.count() == 1
        assert list(Complaint.objects.values_list("text", flat=True)) == ["第一条"]
    assert Complaint.objects.count() == 2


def test_a_failing_query_inside_ends_the_snapshot():
    with pytest.raises(Exception), read_snapshot():  # noqa: B017, PT011 - whichever error the database gives
        Complaint.objects.raw("SELECT * FROM no_such_table")[0]
    _write_elsewhere("之后")
    assert Complaint.objects.filter(text="之后").exists()


def test_django_knows_the_snapshot_is_a_transaction():
    """Nested snapshots and `atomic` blocks inside are savepoints; on-commit hooks wait for its end; the
    writer's lock is not taken (SQLite: `tousu.core.sqlite` queues writers on a lock file)."""
    ran = []
    with read_snapshot():
        assert connection.in_atomic_block
        assert not getattr(connection, "_holding", False)
        with read_snapshot(), transaction.atomic():
            Complaint.objects.count()
        transaction.on_commit(lambda: ran.append("after"))
        assert ran == []
    assert ran == ["after"]
    assert not connection.in_atomic_block


def test_entered_with_the_connection_closed():
    make_complaint(text="已有")
    connection.close()
    with read_snapshot():
        assert Complaint.objects.count() == 1
    _write_elsewhere("之后")  # nothing left open that would keep a writer out
    assert Complaint.objects.count() == 2
