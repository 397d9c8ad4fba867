"""SQLite writers wait for each other on a lock file, taken at BEGIN and let go at commit or rollback."""

import fcntl
import os
import threading
import time

import pytest
from django.db import connection, connections, transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _held_elsewhere(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_a_write_transaction_holds_the_writers_lock_until_it_ends():
    if connection.vendor != "sqlite":
        pytest.skip("the writers' queue is SQLite's")
    lock = f"{connection.settings_dict['NAME']}.writers"
    with transaction.atomic():
        assert _held_elsewhere(lock)
    assert not _held_elsewhere(lock)
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _held_elsewhere(lock)
        raise RuntimeError("rolled back")
    assert not _held_elsewhere(lock)


def test_a_second_writer_goes_in_as_soon_as_the_first_commits():
    if connection.vendor != "sqlite":
        pytest.skip("the writers' queue is SQLite's")
    released, entered = [], []

    def second():
        with transaction.atomic():
            entered.append(time.monotonic())
        connections.close_all()

    with transaction.atomic():
        other = threading.Thread(target=second)
        other.start()
        time.sleep(0.3)
        assert not entered  # it waits for the first writer
        released.append(time.monotonic())
    other.join(5)
    assert entered and entered[0] - released[0] < 0.06  # within milliseconds, not a busy handler's 100 ms steps
