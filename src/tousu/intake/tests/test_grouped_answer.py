"""A group's answers are read back after its thread has given up the turn (the next group of the process
may begin its write meanwhile), as one moment of the database; a failed reading still answers."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from tousu.complaints.choices import Source
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake import grouped
from tousu.intake.tests.test_grouped import _arrive_together
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_answers_are_read_back_outside_the_turn_and_the_write_transaction(monkeypatch):
    agent = make_user(username="taker")
    now = timezone.now()
    seen = []
    real = grouped._read_back

    def reading(ids):
        # SQLite: the writers' lock file is not held (`core.sqlite`); PostgreSQL has no such lock.
        seen.append((grouped._turn.locked(), getattr(connection, "_holding", False), len(ids)))
        return real(ids)

    monkeypatch.setattr(grouped, "_read_back", reading)
    arrivals = [(validate_intake({"text": f"快递第{n}次延误，要求赔偿", "phone": "13800000001"}, now=now), agent, now)
                for n in range(3)]
    outcomes, sizes = _arrive_together(arrivals, monkeypatch)
    assert sizes == [3]
    assert seen == [(False, False, 3)]
    for complaint in outcomes:
        assert isinstance(complaint, Complaint)
        assert [e.kind for e in complaint.events.all()][:2] == ["recorded", "assessed"]


def test_a_group_whose_reading_back_fails_still_answers_each_with_its_stored_complaint(monkeypatch):
    agent = make_user(username="taker")
    now = timezone.now()

    def failing(ids):
        raise RuntimeError("the database went away while reading")

    monkeypatch.setattr(grouped, "_read_back", failing)
    arrivals = [(validate_intake({"text": f"第{n}台空调不制冷"}, now=now), agent, now) for n in range(2)]
    outcomes, _sizes = _arrive_together(arrivals, monkeypatch)
    numbers = sorted(c.tracking_number for c in outcomes)
    assert numbers == sorted(Complaint.objects.values_list("tracking_number", flat=True))
    assert all(c.risk_level for c in outcomes)


def test_a_request_taken_into_another_threads_group_waits_for_that_thread_to_answer_it(monkeypatch):
    """It does not begin a turn of its own (an empty write transaction, again and again) meanwhile."""
    agent = make_user(username="taker")
    now = timezone.now()
    turns = []
    real_take = grouped._take_turn
    reading = threading.Event()
    release = threading.Event()
    real_read = grouped._read_back

    def take(mine=None):
        turns.append(mine)
        return real_take(mine)

    def slow_read(ids):
        reading.set()
        release.wait(10)
        return real_read(ids)

    monkeypatch.setattr(grouped, "_take_turn", take)
    monkeypatch.setattr(grouped, "_read_back", slow_read)
    results = {}

    def send(name, text):
        try:
            results[name] = grouped.record(validate_intake({"text": text}, now=now), by=agent, source=Source.API,
                                           now=now)
        finally:
            connection.close()

    with grouped._turn:
        first = threading.Thread(target=send, args=("first", "热水器漏水"))
        second = threading.Thread(target=send, args=("second", "洗衣机噪音大"))
        first.start()
        second.start()
        while len(grouped._waiting) < 2:
            threading.Event().wait(0.01)
    assert reading.wait(10)  # one thread took both and reads them back; the other is free to take a turn
    threading.Event().wait(0.2)
    release.set()
    first.join(10)
    second.join(10)
    assert len(turns) == 1
    assert {c.text for c in results.values()} == {"热水器漏水", "洗衣机噪音大"}


def test_the_answer_read_back_is_the_complaint_as_the_api_shows_it_later(monkeypatch):
    """The group's own reading (two queries) gives the same body as GET would: fields, events in order, actors."""
    from tousu.complaints.schemas import ComplaintDetailOut

    agent = make_user(username="taker")
    now = timezone.now()
    arrivals = [(validate_intake({"text": text, "phone": "13800000009"}, now=now), agent, now)
                for text in ("孩子骑车踏板断裂摔伤骨折住院", "第二次投诉：快递延误三天", "热水器漏水")]
    outcomes, _sizes = _arrive_together(arrivals, monkeypatch)
    for answered in outcomes:
        again = Complaint.objects.get(pk=answered.pk)
        assert ComplaintDetailOut.from_orm(answered).model_dump() == ComplaintDetailOut.from_orm(again).model_dump()
        assert len(answered.events.all()) >= 2


def test_when_reading_back_fails_the_answer_still_shows_the_risk_the_group_left(monkeypatch):
    """Review: the in-memory complaint answered when the reading fails held its risk from before a later
    complaint of the same group re-assessed it (the lot crossing 30 % defective): low in the answer, high
    in the database and in the answer's own history."""
    from tousu.accounts.roles import Role
    from tousu.assessments.policies import store_policy
    from tousu.complaints.schemas import ComplaintDetailOut
    from tousu.testing import make_department

    store_policy("manufacturing", activate=True)
    agent = make_user(Role.SPECIALIST, department=make_department(code="D1"), username="agent")
    now = timezone.now()

    def failing(ids):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(grouped, "_read_back", failing)
    lot = {"product": "PD-610", "lot": "L1", "quantity_delivered": 1000}
    texts = [("芯轴牙纹不良，装不上", 50, "13800000001"), ("芯轴牙纹不良，第二批也有", 120, "13800000003"),
             ("这批货芯轴螺纹不良", 160, "13800000001")]
    arrivals = [(validate_intake({"text": t, "quantity_defective": d, "phone": p, **lot}, now=now), agent, now)
                for t, d, p in texts]
    outcomes, sizes = _arrive_together(arrivals, monkeypatch)
    assert sizes == [3]
    for answered in outcomes:
        body = ComplaintDetailOut.from_orm(answered).model_dump()
        stored = Complaint.objects.get(pk=answered.pk)
        last_assessed = [e for e in body["events"] if e["kind"] == "assessed"][-1]
        assert body["risk_level"] == stored.risk_level == last_assessed["data"]["after"]["risk_level"]
    assert outcomes[0].risk_level == "high"  # re-assessed by the third


def test_a_request_whose_group_never_answers_fails_instead_of_waiting_for_good(monkeypatch):
    """A safety net for a defect to come: no path today leaves a taken complaint unanswered."""
    agent = make_user(username="taker")
    now = timezone.now()

    def taking_without_answering(mine=None):
        with grouped._waiting_lock:
            for arrival in grouped._waiting:
                arrival.taken = True
            grouped._waiting.clear()

    monkeypatch.setattr(grouped, "_take_turn", taking_without_answering)
    monkeypatch.setattr(grouped, "ANSWER_WAIT_SECONDS", 0.2)
    with pytest.raises(grouped.NotAnswered):
        grouped.record(validate_intake({"text": "热水器漏水"}, now=now), by=agent, source=Source.API, now=now)
