"""Review: when beginning the write transaction fails (SQLite: the write lock not free within the busy
timeouts, about 40 s), `_take_turn` fails every complaint waiting at that moment, also those that arrived
a millisecond before and never waited for the lock themselves. Recorded one by one, each would have had
its own wait and, the lock freed meanwhile, its 201."""

import threading

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from tousu.complaints.choices import Source
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.core.sqlite import base
from tousu.intake import grouped
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_complaint_arriving_while_another_waits_for_the_lock_is_not_failed_by_that_wait(monkeypatch):
    agent = make_user(username="taker")
    now = timezone.now()
    real_begin = base.DatabaseWrapper._start_transaction_under_autocommit
    second_waiting = threading.Event()
    calls = []

    def begin(self):
        calls.append(1)
        if len(calls) == 1:  # the first turn waited for the lock for the whole busy timeout...
            assert second_waiting.wait(10)
            raise OperationalError("database is locked")
        return real_begin(self)  # ...and the lock is free again for whoever tries next

    monkeypatch.setattr(base.DatabaseWrapper, "_start_transaction_under_autocommit", begin)
    outcomes = {}

    def send(name):
        try:
            outcomes[name] = grouped.record(validate_intake({"text": f"{name}：宽带断网三天"}, now=now), by=agent,
                                            source=Source.API, now=now)
        except Exception as error:  # noqa: BLE001
            outcomes[name] = error
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    while not calls:
        threading.Event().wait(0.01)
    second = threading.Thread(target=send, args=("second",))
    second.start()
    while len(grouped._waiting) < 2:
        threading.Event().wait(0.01)
    second_waiting.set()
    first.join(30)
    second.join(30)
    assert isinstance(outcomes["first"], OperationalError)  # it waited its whole timeout: fair
    assert isinstance(outcomes["second"], Complaint), outcomes["second"]  # it never waited
    assert Complaint.objects.count() == 1
