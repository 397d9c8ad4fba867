"""An import makes each batch ready (histories worked out, assessments under way) while the batch before it
is stored (`record_batch(…, ahead=…)`). What it stores is what storing the batches one after another
without that gives; and a batch made ready ahead is not used once anyone else wrote in between."""

import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tousu.assessments.models import RiskAssessment
from tousu.assessments.policies import store_policy
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
