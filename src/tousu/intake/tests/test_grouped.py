"""Group intake (intake/grouped.py): complaints arriving over HTTP at the same moment are recorded in one
transaction, each exactly as if it had come alone."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.assessments.models import RiskAssessment
from tousu.assessments.policies import forget_active_policy
from tousu.complaints.choices import Source
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.schemas import ComplaintDetailOut
from tousu.complaints.validation import validate_intake
from tousu.intake import grouped, pipeline
from tousu.testing import make_user
from tousu.workflow.models import Deadline

pytestmark = pytest.mark.django_db(transaction=True)


def _arrive_together(arrivals, monkeypatch) -> tuple[list, list[int]]:
    """Send the arrivals from one thread each while the turn is held, so that they queue up, then let go:
    one thread takes them all. Returns each arrival's outcome and the sizes of the groups recorded."""
    sizes: list[int] = []
    real = pipeline.record_group

    def counting(batch, **kwargs):
        sizes.append(len(batch))
        return real(batch, **kwargs)

    monkeypatch.setattr(grouped, "record_group", counting)
    outcomes: list = [None] * len(arrivals)

    def send(i, data, by, now):
        try:
            outcomes[i] = grouped.record(data, by=by, source=Source.API, now=now)
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i, *arrival)) for i, arrival in enumerate(arrivals)]
    with grouped._turn:
        for thread in threads:
            thread.start()
        deadline = timezone.now() + timedelta(seconds=10)
        while len(grouped._waiting) < len(arrivals) and timezone.now() < deadline:
            threading.Event().wait(0.01)
    for thread in threads:
        thread.join(30)
    return outcomes, sizes


def _results(complaints: list[Complaint]) -> list[tuple]:
    """What intake decided for each complaint: its risk, the factors, its clocks (relative to receipt),
    its event kinds."""
    out = []
    for complaint in complaints:
        stored = Complaint.objects.get(pk=complaint.pk)
        assessment = RiskAssessment.objects.filter(complaint=stored).latest("id")
        clocks = sorted((d.stage, d.due_at - stored.received_at)
                        for d in Deadline.objects.filter(complaint=stored))
        # Which kinds of event, as the import's equivalence test compares them: recorded one by one, an early
        # complaint is re-assessed at each later arrival; in a group, once with all of them in view.
        kinds = sorted(set(ComplaintEvent.objects.filter(complaint=stored).values_list("kind", flat=True)))
        out.append((stored.text, stored.risk_level, stored.severity_grade, stored.priority, stored.emergency,
                    stored.complaint_type, sorted(assessment.factors), clocks, kinds, stored.source,
                    stored.import_key, stored.owner.username, stored.recorded_by.username))
    return out


TEXTS = ["信用卡被多扣了年费两百元，要求退还。", "客服电话一直打不通，我已经向银保监会投诉了。",
         "信用卡被多扣了年费两百元，要求退还。", "理财产品亏损三万元，销售时说保本，第三次反映了。"]


def test_complaints_arriving_together_are_recorded_as_one_group_each_as_if_alone(monkeypatch):
    base = timezone.now() - timedelta(seconds=5)

    def arrivals(agent):
        return [(validate_intake({"text": text, "phone": "13800138000", "product": "信用卡"}, now=base), agent,
                 base + timedelta(milliseconds=i)) for i, text in enumerate(TEXTS)]

    agent = make_user(username="taker")
    alone = [pipeline.record_complaint(data.model_copy(update={"received_at": now}), by=by, source=Source.API,
                                       now=now) for data, by, now in arrivals(agent)]
    expected = _results(alone)
    call_command("flush", interactive=False, verbosity=0)
    forget_active_policy()

    agent = make_user(username="taker")
    together = arrivals(agent)
    outcomes, sizes = _arrive_together(together, monkeypatch)
    assert sizes == [4]
    assert all(isinstance(c, Complaint) for c in outcomes), outcomes
    assert len({c.tracking_number for c in outcomes}) == 4  # two equal texts are two complaints
    assert [Complaint.objects.get(pk=c.pk).received_at for c in outcomes] == [now for _d, _b, now in together]
    # The answers' events and attachments were read for the whole group: none is read again per answer.
    with CaptureQueriesContext(connection) as seen:
        answered = [([e.pk for e in ComplaintDetailOut.resolve_events(c)], ComplaintDetailOut.resolve_attachments(c),
                     ComplaintDetailOut.resolve_owner(c)) for c in outcomes]
    assert len(seen.captured_queries) == 0
    for (events, attachments, owner), complaint in zip(answered, outcomes, strict=True):
        assert events == list(ComplaintEvent.objects.filter(complaint=complaint).values_list("pk", flat=True))
        assert attachments == [] and owner == "taker"
    got = _results(outcomes)
    for a, b in zip(got, expected, strict=True):
        assert a == b, (a, b)
    assert expected[1][1] == "high" and expected[0][-5] == ["assessed", "recorded"]


def test_each_recorder_keeps_its_own_complaints(monkeypatch):
    first, second = make_user(username="first-taker"), make_user(username="second-taker")
    now = timezone.now()
    arrivals = [(validate_intake({"text": f"第{i}件：宽带断网三天"}, now=now), first if i % 2 else second, now)
                for i in range(4)]
    outcomes, sizes = _arrive_together(arrivals, monkeypatch)
    assert sorted(sizes) == [2, 2]
    for complaint, (_data, by, _now) in zip(outcomes, arrivals, strict=True):
        assert Complaint.objects.get(pk=complaint.pk).owner == by


def test_a_group_that_fails_is_recorded_again_one_by_one_so_only_a_bad_complaint_fails(monkeypatch):
    agent = make_user(username="taker")
    now = timezone.now()
    real = pipeline.record_complaint

    def refusing(data, **kwargs):
        if "坏" in data.text:
            raise ValueError("refused by the database")
        return real(data, **kwargs)

    def failing_group(batch, **kwargs):
        raise ValueError("one row of the group was refused")

    monkeypatch.setattr(grouped, "record_complaint", refusing)
    arrivals = [(validate_intake({"text": text}, now=now), agent, now) for text in ("好的投诉一", "坏的投诉", "好的投诉二")]
    monkeypatch.setattr(pipeline, "record_group", failing_group)
    outcomes, _sizes = _arrive_together(arrivals, monkeypatch)
    assert isinstance(outcomes[0], Complaint) and isinstance(outcomes[2], Complaint)
    assert isinstance(outcomes[1], ValueError)
    assert Complaint.objects.count() == 2


def test_a_complaint_with_attachments_is_recorded_alone(monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    agent = make_user(username="taker")
    now = timezone.now()
    monkeypatch.setattr(grouped, "record_group", lambda *a, **k: pytest.fail("grouped"))
    upload = SimpleUploadedFile("note.txt", "收据".encode(), content_type="text/plain")
    complaint = grouped.record(validate_intake({"text": "附上收据"}, now=now), by=agent, source=Source.API, now=now,
                               attachments=[upload])
    assert complaint.attachments.count() == 1
