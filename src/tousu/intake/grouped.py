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
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from tousu.accounts.models import User
from tousu.complaints.models import Complaint, ComplaintEvent
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
            if not arrival.done.is_set():
                _take_turn()
    if arrival.error is not None:
        raise arrival.error
    assert arrival.complaint is not None
    return arrival.complaint


def _take_turn() -> None:
    """Begin the write transaction (waiting for the database's write lock), then take every complaint
    waiting by then: those that arrived during the wait join this group instead of waiting for the next.
    Each arrival learns its outcome only after the commit."""
    taken: list[_Arrival] = []
    try:
        with transaction.atomic():
            with _waiting_lock:
                taken = _waiting[:GROUP_LIMIT]
                del _waiting[:GROUP_LIMIT]
            outcomes = _record(taken)
    except Exception as error:  # noqa: BLE001 - the commit (or the begin) failed: nothing is stored
        if not taken:
            with _waiting_lock:
                taken = _waiting[:]
                del _waiting[:]
        for arrival in taken:
            arrival.complaint, arrival.error = None, error
    else:
        for arrival in taken:
            arrival.complaint, arrival.error = outcomes[id(arrival)]
    finally:
        for arrival in taken:
            arrival.done.set()


Outcome = tuple[Complaint | None, BaseException | None]


def _record(arrivals: list[_Arrival]) -> dict[int, Outcome]:
    """Record the arrivals, grouped by recorder and source (each keeps its recorder and first owner)."""
    groups: dict[tuple[int | None, str], list[_Arrival]] = {}
    for arrival in arrivals:
        groups.setdefault((arrival.by.pk if arrival.by else None, arrival.source), []).append(arrival)
    outcomes: dict[int, Outcome] = {}
    for group in groups.values():
        outcomes.update(_record_group(group))
    return outcomes


def _record_group(group: list[_Arrival]) -> dict[int, Outcome]:
    first = group[0]
    now = timezone.now()
    if len(group) > 1:
        try:
            stored = record_group([a.data for a in group], by=first.by, source=first.source, now=now)
        except Exception:  # noqa: BLE001, S110 - nothing of the group was stored: each again on its own
            pass
        else:
            # What each answer shows besides the complaint, read for the whole group at once.
            prefetch_related_objects(stored, Prefetch("events", ComplaintEvent.objects.select_related("actor")),
                                     "attachments")
            return {id(arrival): (complaint, None) for arrival, complaint in zip(group, stored, strict=True)}
    outcomes: dict[int, Outcome] = {}
    for arrival in group:
        try:
            outcomes[id(arrival)] = (record_complaint(arrival.data, by=arrival.by, source=arrival.source, now=now),
                                     None)
        except Exception as error:  # noqa: BLE001 - raised again in the request's own thread
            outcomes[id(arrival)] = (None, error)
    return outcomes
