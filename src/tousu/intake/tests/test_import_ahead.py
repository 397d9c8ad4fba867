"""An import makes each batch ready (histories worked out, assessments under way) while the batch before it
is stored (`record_batch(…, ahead=…)`). What it stores is what storing the batches one after another
without that gives; and a batch made ready ahead is not used once anyone else wrote in between."""

import inspect
import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tousu.assessments.models import Incident, IncidentAttribute, RiskAssessment
from tousu.assessments.policies import active_policy, store_policy
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import validate_intake
from tousu.intake import pipeline
from tousu.intake.assessing import Workers
from tousu.intake.batch_history import Remembered
from tousu.intake.pipeline import BatchItem, record_batch
from tousu.testing import make_complaint
from tousu.workflow.models import Deadline

pytestmark = pytest.mark.django_db(transaction=False)

TEXTS = ["芯轴牙纹不良，装不上", "吊卡用错了", "这批货芯轴螺纹不良", "踏板断裂，孩子摔伤住院", "送货地址写错"]


def _batches(now, count: int, size: int, seed: int) -> list[list[BatchItem]]:
    rng = random.Random(seed)
    batches, row = [], 0
    for _ in range(count):
        batch = []
        for _ in range(size):
            row += 1
            received = now - timedelta(minutes=rng.randrange(60 * 24 * 40))
            batch.append(BatchItem(validate_intake({
                "text": rng.choice(TEXTS), "phone": f"1380000000{rng.randrange(4)}", "external_id": f"X{row}",
                "product": rng.choice(["PD-610", "PD-700"]), "lot": rng.choice(["L1", "L2", ""]),
                "quantity_delivered": "100", "quantity_defective": str(rng.randrange(1, 40)),
                "received_at": received.isoformat()}, now=now), row))
        batches.append(batch)
    return batches


def _outcome() -> dict:
    """What the import left, by the rows' external ids: risk, intake assessment, clocks, event kinds."""
    complaints = {c.pk: c for c in Complaint.objects.exclude(external_id="")}
    found = {}
    for pk, c in complaints.items():
        assessments = [(a.trigger, a.risk_level, a.severity_grade, tuple(a.factors)) for a in
                       RiskAssessment.objects.filter(complaint_id=pk).order_by("assessed_at", "id")]
        clocks = sorted(Deadline.objects.filter(complaint_id=pk).values_list("stage", "due_at"))
        kinds = tuple(sorted(ComplaintEvent.objects.filter(complaint_id=pk).values_list("kind", flat=True)))
        found[c.external_id] = (c.risk_level, c.severity_grade, c.priority, c.emergency, c.status,
                                assessments, clocks, kinds)
    return found


def _import(batches, now, *, ahead: bool, between=None) -> list[bool]:
    """Record the batches as an import does; which of them were stored from what was made ready ahead."""
    used = []
    original = pipeline._store_batch

    def store(*args, **kwargs):
        used.append(kwargs.get("prepared") is not None)
        return original(*args, **kwargs)

    remembered, prepared = Remembered(), None
    with pytest.MonkeyPatch.context() as patch, Workers() as workers:
        patch.setattr(pipeline, "_store_batch", store)
        for i, batch in enumerate(batches):
            following = batches[i + 1] if ahead and i + 1 < len(batches) else ()
            result = record_batch(batch, by=None, now=now, origin="a.csv", workers=workers, remembered=remembered,
                                  prepared=prepared, ahead=following)
            prepared = result.ahead
            if between:
                between(i)
    return used


def _both_ways(batches, now, between=None) -> tuple[dict, dict, list[bool]]:
    with transaction.atomic():
        _import(batches, now, ahead=False, between=between)
        expected = _outcome()
        transaction.set_rollback(True)
    used = _import(batches, now, ahead=True, between=between)
    return expected, _outcome(), used


def test_batches_made_ready_ahead_store_what_one_batch_after_another_stores():
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    expected, found, used = _both_ways(_batches(now, 4, 6, seed=5), now)
    assert used == [False, True, True, True]  # every batch after the first was made ready ahead
    assert found == expected and len(found) == 24
    assert {kinds for *_rest, kinds in found.values()} >= {("assessed", "imported")}
    assert any(len(assessments) > 1 for *_rest, assessments, _clocks, _kinds in found.values())  # neighbours


def test_a_batch_made_ready_ahead_is_made_again_when_someone_else_wrote_in_between():
    """A complaint from the same customers arrives on the API between two batches: the batch made ready
    before it must count it, so it is made ready again from what is stored now."""
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    batches = _batches(now, 3, 6, seed=9)

    def between(i):
        if i == 0:
            for item in batches[1][:3]:
                make_complaint(now=now, text="踏板又断了", phone=item.data.phone, product=item.data.product,
                               lot=item.data.lot, received_at=(item.data.received_at - timedelta(minutes=3)).isoformat())

    expected, found, used = _both_ways(batches, now, between)
    assert used == [False, False, True]
    assert found == expected


def test_a_row_of_the_next_batch_stored_by_the_batch_before_counts_as_a_duplicate():
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    first, second = _batches(now, 2, 5, seed=13)
    second = [*second, first[0]]  # the same external id again
    remembered = Remembered()
    with Workers() as workers:
        result = record_batch(first, by=None, now=now, origin="a.csv", workers=workers, remembered=remembered,
                              ahead=second)
        assert result.ahead is not None and result.created == 5
        again = record_batch(second, by=None, now=now, origin="a.csv", workers=workers, remembered=remembered,
                             prepared=result.ahead)
    assert again.created == 5 and again.duplicates == 1
    assert Complaint.objects.filter(external_id=first[0].data.external_id).count() == 1


def test_a_batch_made_ready_under_a_policy_no_longer_in_force_is_made_again_and_counted_once():
    """Another process put a policy in force during the import without this one seeing it until the next
    batch (policies are cached for a second): what was made ready under the old one is dropped, and the
    rows it counted are not counted twice."""
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    batches = _batches(now, 3, 6, seed=17)
    version, rules = active_policy()
    other = (version, rules.model_copy())  # the same rules as another object: a policy read again

    def run(ahead: bool) -> list[bool]:
        calls = []

        def in_force():
            calls.append(1)
            return (version, rules) if len(calls) == 1 else other

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pipeline, "active_policy", in_force)
            return _import(batches, now, ahead=ahead)

    with transaction.atomic():
        run(ahead=False)
        expected = _outcome()
        transaction.set_rollback(True)
    assert run(ahead=True) == [False, False, True]
    assert _outcome() == expected


def test_a_batch_made_ready_before_an_open_incident_grew_is_made_again():
    """The early-warning detector widened an open incident between two batches (an attribute added, no
    event written): the next batch is assessed with it, as one batch after another would."""
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    batches = _batches(now, 3, 6, seed=21)
    incident = Incident.objects.create(key="product", value="PD-999", opened_at=now, count_at_open=9, expected=1.0)

    def between(i):
        if i == 0:
            IncidentAttribute.objects.create(incident=incident, key="product", value="PD-610", count=9, expected=1.0,
                                             p_value=0.001)

    expected, found, used = _both_ways(batches, now, between)
    assert used == [False, False, True]
    assert found == expected
    assert incident.complaints.filter(product="PD-610").exists()  # the later rows joined it


def test_a_next_batch_that_cannot_be_made_ready_does_not_fail_the_batch_being_stored():
    """Making the next batch ready fails (here: its first try): the batch being stored is committed all
    the same, and the next one is made in its own turn from what is stored."""
    store_policy("manufacturing", activate=True)
    now = timezone.now()
    batches = _batches(now, 3, 6, seed=29)
    original, failures = pipeline._prepare, []

    def fails_once(*args, **kwargs):
        if not failures and _preparing_ahead():
            failures.append(1)
            raise RuntimeError("the disk is full")
        return original(*args, **kwargs)

    def _preparing_ahead() -> bool:
        return any(frame.function == "prepare_ahead" for frame in inspect.stack()[1:6])

    with transaction.atomic():
        _import(batches, now, ahead=False)
        expected = _outcome()
        transaction.set_rollback(True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pipeline, "_prepare", fails_once)
        used = _import(batches, now, ahead=True)
    assert failures and used == [False, False, True]
    assert _outcome() == expected
