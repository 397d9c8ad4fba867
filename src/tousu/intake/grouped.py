"""Group intake: complaints that arrive over HTTP at the same moment are stored together.

A web worker answers several requests at once (gunicorn threads). Recorded one by one, each complaint
pays the whole pipeline's fixed cost — its queries, its write transaction and its commit — while the
others wait for the one write lock. Here the requests of one process queue up; whichever request thread
holds the turn takes every complaint waiting and records them with `pipeline.record_group`, the steps
of an import in one transaction (a test holds them equal to recording one by one), then wakes the
others. A quiet server records each complaint alone, as before; a flood is recorded in groups, each
answered only after its commit.

Complaints are grouped by who recorded them and by source, so that each keeps its own recorder and
its first owner. A group that fails is recorded again one complaint at a time, so that a complaint the
database refuses fails alone.
"""

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from tousu.accounts.models import User
from tousu.complaints.models import Complaint
from tousu.complaints.validation import IntakeData
from tousu.intake.pipeline import record_complaint, record_group

# At most this many complaints in one transaction: a larger flood is taken in several turns.
GROUP_LIMIT = 64


@dataclass
class _Arrival:
    data: IntakeData
    by: User | None
    source: str
    done: threading.Event = field(default_factory=threading.Event)
    complaint: Complaint | None = None
    error: BaseException | None = None


_waiting: list[_Arrival] = []
_waiting_lock = threading.Lock()
_turn = threading.Lock()  # held by the thread recording a group


def record(data: IntakeData, *, by: User | None, source: str, now: datetime,
           attachments: Sequence[UploadedFile] = ()) -> Complaint:
    """Record one validated complaint received at `now`, together with those arriving beside it."""
    if attachments:
        complaint = record_complaint(data, by=by, source=source, now=now, attachments=attachments)
        assert complaint is not None  # no import key: never a duplicate
        return complaint
    arrival = _Arrival(data if data.received_at else data.model_copy(update={"received_at": now}), by, source)
    with _waiting_lock:
        _waiting.append(arrival)
    while not arrival.done.is_set():
        with _turn:
            if arrival.done.is_set():
                break
            with _waiting_lock:
                taken = _waiting[:GROUP_LIMIT]
                del _waiting[:GROUP_LIMIT]
            _record(taken)
    if arrival.error is not None:
        raise arrival.error
    assert arrival.complaint is not None
    return arrival.complaint


def _record(arrivals: list[_Arrival]) -> None:
    """Record the arrivals, grouped by recorder and source, and wake each one's request thread."""
    groups: dict[tuple[int | None, str], list[_Arrival]] = {}
    for arrival in arrivals:
        groups.setdefault((arrival.by.pk if arrival.by else None, arrival.source), []).append(arrival)
    for group in groups.values():
        try:
            _record_group(group)
        finally:
            for arrival in group:
                arrival.done.set()


def _record_group(group: list[_Arrival]) -> None:
    first = group[0]
    now = timezone.now()
    if len(group) > 1:
        try:
            stored = record_group([a.data for a in group], by=first.by, source=first.source, now=now)
        except Exception:  # noqa: BLE001 - each complaint again on its own, so that only a bad one fails
            pass
        else:
            for arrival, complaint in zip(group, stored, strict=True):
                arrival.complaint = complaint
            return
    for arrival in group:
        try:
            arrival.complaint = record_complaint(arrival.data, by=arrival.by, source=arrival.source, now=now)
        except Exception as error:  # noqa: BLE001 - raised again in the request's own thread
            arrival.error = error
