"""A batch's history is what `history_for` reads for each row recorded one at a time in order of receipt,
also for complaints stored before the batch (stored times come back in UTC, the rows' in local time)."""

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.actions import crossed_neighbours
from tousu.assessments.history import history_for
from tousu.assessments.policies import active_policy, store_policy
from tousu.complaints import events
from tousu.complaints.validation import validate_intake
from tousu.intake import batch_history, pipeline
from tousu.intake.batch_history import BatchHistory, Remembered
from tousu.intake.corrections import change_facts
from tousu.intake.pipeline import BatchItem, record_batch
from tousu.intake.store import Assignment, new_complaint
from tousu.risk.assess import problem_key
from tousu.testing import make_complaint, make_user

pytestmark = pytest.mark.django_db(transaction=False)

TEXTS = ["芯轴牙纹不良，装不上", "吊卡用错了", "这批货芯轴螺纹不良", "踏板断裂", "送货地址写错"]


def _fields(rng: random.Random, received) -> dict:
    return {"text": rng.choice(TEXTS), "phone": f"1380000000{rng.randrange(4)}",
            "email": rng.choice(["a@example.com", "b@example.com", "", ""]),  # the same customer by either
            "product": rng.choice(["PD-610", "PD-700"]), "lot": rng.choice(["L1", "L2", ""]), "quantity_delivered": str(rng.choice([100, 1000])),
            "quantity_defective": str(rng.randrange(1, 40)), "received_at": received.isoformat()}


def _each_row_as_one_at_a_time(batch, rules, now, remembered: Remembered | None = None) -> BatchHistory:
    """Each row's history from the batch (going on from `remembered`, for a batch of an import) equals
    `history_for` as the row would have been recorded alone, in order of receipt (each row is then stored, as
    the one-at-a-time recording would have), and the batch re-assesses what one at a time did."""
    problems = [problem_key(data.text, rules) for data in batch]
    histories = BatchHistory(batch, problems, rules, now, remembered)
    stored, neighbours = [], set()
    for data, problem in zip(batch, problems, strict=True):
        unsaved = new_complaint(data, assignment=Assignment(None, None), by=None, source="import", now=now)
        unsaved.problem_key = problem
        expected = history_for(unsaved, rules, until=data.received_at)
        assert histories.next(data, data.received_at, problem) == expected, data
        stored.append(make_complaint(now=now, text=data.text, phone=data.phone, email=data.email,
                                     product=data.product, lot=data.lot,
                                     quantity_delivered=str(data.quantity_delivered),
                                     quantity_defective=str(data.quantity_defective),
                                     received_at=data.received_at.isoformat()))
        neighbours |= _crossed_by(stored[-1], rules, now)
    _same_neighbours(histories, stored, neighbours)
    if remembered is not None:
        with transaction.atomic():
            remembered.settle(events.position(), [c.pk for c in stored])
    return histories


def _crossed_by(complaint, rules, now) -> set[tuple[int, str]]:
    """The (id, trigger) of the complaints the arrival of `complaint`, recorded alone, has re-assessed."""
    return {(pk, trigger) for trigger, group in crossed_neighbours(complaint, rules, now=now).items()
            for pk in group.values_list("id", flat=True)}


def _same_neighbours(histories: BatchHistory, stored, neighbours: set[tuple[int, str]]) -> None:
    """The batch re-assesses the complaints that one at a time re-assessed, each once, under the first of its
    triggers in the batch's order."""
    crossed = histories.crossed([c.pk for c in stored])
    assert {pk for pk, _trigger in crossed} == {pk for pk, _trigger in neighbours}
    order = ("lot_changed", "repeat", "similar", "same_problem")
    for pk, trigger in crossed:
        assert trigger == min((t for other, t in neighbours if other == pk), key=order.index), pk


def test_each_row_gets_the_history_one_at_a_time_would_give_it():
    store_policy("manufacturing", activate=True)
    _version, rules = active_policy()
    now = timezone.now()
    rng = random.Random(11)
    for hours in sorted(rng.sample(range(24, 24 * 40), 30)):  # stored before, some outside the windows
        make_complaint(now=now, **_fields(rng, now - timedelta(hours=hours)))
    batch = sorted((validate_intake(_fields(rng, now - timedelta(minutes=rng.randrange(60 * 24 * 20))), now=now)
                    for _ in range(30)), key=lambda data: data.received_at)
    _each_row_as_one_at_a_time(batch, rules, now)


def test_a_group_arriving_within_moments_counts_the_complaints_at_the_edges_of_its_window():
    """An API group's rows arrive within a second; the complaints about the same lot or product received
    in the middle of the window are counted by the database, those at its edges read one by one. Each
    row's history and every crossing stay what one at a time gives, with stored complaints right at,
    just inside and just outside each edge, and some received "later" than the group (clock drift)."""
    store_policy("manufacturing", activate=True)
    _version, rules = active_policy()
    now = timezone.now()
    window = timedelta(days=rules.scope.window_days)
    rng = random.Random(5)
    arrivals = sorted(now - timedelta(milliseconds=rng.randrange(900)) for _ in range(12))
    earliest, latest = arrivals[0], arrivals[-1]
    edges = [now - window, now - window - timedelta(microseconds=1), now - window + timedelta(microseconds=1),
             latest - window, earliest - window, earliest - window - timedelta(microseconds=1),
             earliest, earliest - timedelta(microseconds=1), latest, now + timedelta(seconds=3),
             now - window / 2, now - timedelta(hours=1), now - window - timedelta(days=1)]
    for at in edges * 2:
        make_complaint(now=now, **_fields(rng, at))
    batch = [validate_intake({**_fields(rng, at), "received_at": at.isoformat()}, now=now) for at in arrivals]
    histories = _each_row_as_one_at_a_time(batch, rules, now)
    assert histories.crossings  # the group's rows crossed the policy's thresholds, counted with the stored ones


def _batches_as_one_at_a_time(batches, rules, now, remembered: Remembered, between=None) -> None:
    """Each batch of an import with the history its earlier batches left (`remembered`), each row as one at a
    time would give it; `between(i)` changes the database after batch i, as another user might."""
    for i, batch in enumerate(batches):
        with transaction.atomic():
            remembered.check(events.position())
        _each_row_as_one_at_a_time(batch, rules, now, remembered)
        if between:
            between(i)


def _unordered_batches(rng, now, count: int, size: int):
    """Batches in no order of time between them (as a file in no order is cut), each in order of receipt."""
    return [sorted((validate_intake(_fields(rng, now - timedelta(minutes=rng.randrange(60 * 24 * 40))), now=now)
                    for _ in range(size)), key=lambda data: data.received_at) for _ in range(count)]


def test_an_imports_batches_keep_what_the_earlier_ones_read_and_still_count_as_one_at_a_time():
    """Batches spanning the same weeks, some earlier than all before them: each row's history is still what
    one at a time gives, while every stored complaint is read at most once for each kind of key."""
    store_policy("manufacturing", activate=True)
    _version, rules = active_policy()
    now = timezone.now()
    rng = random.Random(23)
    for hours in rng.sample(range(24, 24 * 50), 25):
        make_complaint(now=now, **_fields(rng, now - timedelta(hours=hours)))
    read = []
    original = batch_history._received

    def counted(queryset):
        for row in original(queryset):
            read.append(row)
            yield row

    batches = _unordered_batches(rng, now, 6, 8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch_history, "_received", counted)
        _batches_as_one_at_a_time(batches, rules, now, Remembered())
    # customers, lots or products, defects: three kinds, the 25 stored before and the 40 of the earlier batches
    assert len(read) <= 3 * (25 + 40)


def test_a_change_made_between_two_batches_of_an_import_is_counted():
    """Another user's complaint or correction between two batches moves the audit chain's head: the next
    batch reads again instead of trusting what it remembers."""
    store_policy("manufacturing", activate=True)
    _version, rules = active_policy()
    now = timezone.now()
    rng = random.Random(31)
    batches = _unordered_batches(rng, now, 4, 6)
    outside = []

    def between(i):
        if i == 0:  # a complaint about the same products and customers arrives on the API
            for data in batches[1][:3]:
                outside.append(make_complaint(now=now, **{**_fields(rng, data.received_at - timedelta(minutes=5)),
                                                          "phone": data.phone, "product": data.product}))
        elif i == 1:  # a fact corrected: the complaint moves to another lot and product
            change_facts(outside[0], {"lot": "L9", "product": "PD-700"}, by=make_user(Role.SPECIALIST), now=now)

    _batches_as_one_at_a_time(batches, rules, now, Remembered(), between)


def test_a_batch_that_fails_leaves_nothing_trusted():
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    rng = random.Random(37)
    remembered = Remembered()
    first, second = ([BatchItem(data, row) for row, data in enumerate(batch)]
                     for batch in _unordered_batches(rng, now, 2, 5))
    record_batch(first, by=None, now=now, origin="a.csv", remembered=remembered)
    assert remembered.position is not None and remembered.times.keys()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "propose_emergencies", broken)
        with pytest.raises(RuntimeError):
            record_batch(second, by=None, now=now, origin="a.csv", remembered=remembered)
    assert remembered.position is None  # not trusted: the next batch starts from nothing
    with transaction.atomic():
        remembered.check(events.position())
    assert not list(remembered.times.keys())


def test_a_batch_that_changed_a_stored_defect_item_leaves_nothing_trusted():
    """A batch's re-assessment gave a stored complaint another defect item (a new policy): the times the
    history keeps under the old item are wrong now, and the next batch reads again."""
    now = timezone.now()
    remembered = Remembered()
    remembered.times.add(("problem", "PD-610", "芯轴牙纹不良"), now)
    remembered.check(7)
    remembered.stale()
    remembered.settle(9, [1, 2])
    assert remembered.position is None and not list(remembered.times.keys())
