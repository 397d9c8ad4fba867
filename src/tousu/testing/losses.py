"""What a load run must leave behind, asked of the database afterwards: every complaint acknowledged
with a 201 stored with its assessment and its stage clocks, and every notification in the outbox
delivered, each exactly once at the receiving end (counted there by idempotency key)."""

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tousu.assessments.models import RiskAssessment
from tousu.complaints.models import Complaint
from tousu.notify.models import Notification
from tousu.testing.servers import SmtpServer, WebhookServer
from tousu.workflow.machine import INTAKE_STAGES
from tousu.workflow.models import Deadline, MergedRepeat

_CHUNK = 500


def _chunks(items: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class StoredCheck:
    acknowledged: int = 0
    missing: list[str] = field(default_factory=list)  # answered 201, not in the database
    without_assessment: list[str] = field(default_factory=list)
    without_clocks: list[str] = field(default_factory=list)  # an intake stage clock missing (merged repeats excepted)
    unacknowledged: int = 0  # stored, but the client never saw the 201 (its worker was killed after the commit)

    @property
    def lost(self) -> int:
        return len(self.missing) + len(self.without_assessment) + len(self.without_clocks)

    def summary(self) -> dict:
        return {"acknowledged": self.acknowledged, "lost": self.lost, "missing": self.missing[:10],
                "without_assessment": self.without_assessment[:10], "without_clocks": self.without_clocks[:10],
                "stored_without_201": self.unacknowledged}


def check_stored(tracking_numbers: Sequence[str], *, existing_before: int | None = None) -> StoredCheck:
    """Ask the database for every acknowledged tracking number; with the number of complaints there were
    before the run, also count those stored whose 201 never reached the client."""
    check = StoredCheck(acknowledged=len(tracking_numbers))
    wanted = {stage.value for stage in INTAKE_STAGES}
    found: dict[str, int] = {}
    for chunk in _chunks(list(tracking_numbers)):
        found.update(Complaint.objects.filter(tracking_number__in=chunk).values_list("tracking_number", "id"))
    check.missing = [number for number in tracking_numbers if number not in found]
    ids = list(found.values())
    assessed, merged, stages = set(), set(), {}
    for chunk in _chunks(ids):
        assessed.update(RiskAssessment.objects.filter(complaint_id__in=chunk).values_list("complaint_id", flat=True))
        merged.update(MergedRepeat.objects.filter(repeat_id__in=chunk, merged=True).values_list("repeat_id", flat=True))
        for complaint_id, stage in Deadline.objects.filter(complaint_id__in=chunk).values_list("complaint_id", "stage"):
            stages.setdefault(complaint_id, set()).add(stage)
    for number, pk in found.items():
        if pk not in assessed:
            check.without_assessment.append(number)
        if pk not in merged and not wanted <= stages.get(pk, set()):
            check.without_clocks.append(number)
    if existing_before is not None:
        check.unacknowledged = Complaint.objects.count() - existing_before - len(found)
    return check


def received_keys(smtp: SmtpServer | None, webhook: WebhookServer | None) -> Counter:
    """Every notification key that reached a receiver, with how many times it arrived."""
    keys: Counter = Counter()
    if smtp is not None:
        # A long key is folded onto a continuation line by the sender (RFC 5322): unfold it to compare.
        keys.update(re.sub(r"\r?\n", "", str(message["X-Tousu-Notification"])).strip()
                    for message in list(smtp.messages))
    if webhook is not None:
        keys.update(request["key"] for request in list(webhook.requests))
    return keys


@dataclass
class DeliveryCheck:
    due: int = 0  # rows in the outbox
    delivered: int = 0  # distinct keys that arrived
    missing: list[str] = field(default_factory=list)  # due, never arrived
    unknown: list[str] = field(default_factory=list)  # arrived, not in the outbox
    unsent_rows: int = 0  # rows not marked sent
    repeats: int = 0  # arrivals of a key that had arrived before (recognised by the receiver)
    repeated_keys: list[str] = field(default_factory=list)

    @property
    def exactly_once(self) -> bool:
        return not self.missing and not self.unknown and not self.unsent_rows

    def summary(self) -> dict:
        return {"due": self.due, "delivered": self.delivered, "missing": len(self.missing),
                "unknown": len(self.unknown), "unsent_rows": self.unsent_rows,
                "repeats_recognised_by_key": self.repeats, "repeated_keys": self.repeated_keys[:10]}


def check_deliveries(arrived: Counter) -> DeliveryCheck:
    due = dict(Notification.objects.values_list("key", "state"))
    return DeliveryCheck(
        due=len(due), delivered=sum(1 for key in arrived if key in due),
        missing=sorted(key for key in due if key not in arrived), unknown=sorted(key for key in arrived if key not in due),
        unsent_rows=sum(1 for state in due.values() if state != Notification.State.SENT),
        repeats=sum(count - 1 for count in arrived.values()),
        repeated_keys=sorted(key for key, count in arrived.items() if count > 1))


def drain_outbox(seconds: float, *, every: float = 2.0) -> bool:
    """Ask the running consumer for delivery rounds (what its minute-by-minute periodic task does) until
    no notification waits; True when the outbox is empty in time."""
    from tousu.notify.tasks import deliver_due_task

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not Notification.objects.exclude(state=Notification.State.SENT).exists():
            return True
        deliver_due_task()
        time.sleep(every)
    return not Notification.objects.exclude(state=Notification.State.SENT).exists()
