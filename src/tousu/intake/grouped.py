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

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from tousu.accounts.models import User
from tousu.assessments.policies import forget_active_policy
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import IntakeData
from tousu.core.snapshot import read_snapshot
from tousu.intake.pipeline import record_complaint, record_group

# At most this many complaints in one transaction: a larger flood is taken in several turns.
GROUP_LIMIT = 64
# A request whose complaint another thread's group took waits at most this long for that thread's answer
# (a group is answered within a second or so; every path settles each arrival). Should a defect ever leave
# one unanswered, the request fails instead of holding a web thread for good.
ANSWER_WAIT_SECONDS = 300.0


class NotAnswered(RuntimeError):
    """The group that took a complaint did not answer for it in time."""


@dataclass
class _Arrival:
    data: IntakeData
    by: User | None
    source: str
    language: str | None  # the caller's: messages written during intake (an emergency's alert) use it
    done: threading.Event = field(default_factory=threading.Event)
    taken: bool = False  # into a group
    complaint: Complaint | None = None
    error: BaseException | None = None

    def settle(self, complaint: Complaint | None, error: BaseException | None) -> None:
        self.complaint, self.error = complaint, error
        self.done.set()


_waiting: list[_Arrival] = []
_waiting_lock = threading.Lock()
_turn = threading.Lock()  # held by the thread recording a group
Outcome = tuple[Complaint | None, BaseException | None]
log = logging.getLogger(__name__)


def record(data: IntakeData, *, by: User | None, source: str, now: datetime,
           attachments: Sequence[UploadedFile] = ()) -> Complaint:
    """Record one validated complaint received at `now`, together with those arriving beside it."""
    if attachments or transaction.get_connection().in_atomic_block:
        # Alone: with files, or inside a caller's transaction (whose commit the others could not wait for).
        complaint = record_complaint(data, by=by, source=source, now=now, attachments=attachments)
        assert complaint is not None  # no import key: never a duplicate
        return complaint
    arrival = _Arrival(data if data.received_at else data.model_copy(update={"received_at": now}), by, source,
                       translation.get_language())
    with _waiting_lock:
        _waiting.append(arrival)
    while not arrival.done.is_set():
        if arrival.taken:  # into another thread's group, which answers it
            if not arrival.done.wait(ANSWER_WAIT_SECONDS):
                raise NotAnswered(f"no answer within {ANSWER_WAIT_SECONDS:.0f} s from the group that took it")
            break
        answer = None
        with _turn:
            if not arrival.taken:
                answer = _take_turn(arrival)
        if answer is not None:  # the next group's turn may begin meanwhile
            answer()
    if arrival.error is not None:
        raise arrival.error
    assert arrival.complaint is not None
    return arrival.complaint


def _take_turn(mine: _Arrival | None = None) -> Callable[[], None] | None:
    """Begin the write transaction (waiting for the database's write lock), then take every complaint
    waiting by then: those that arrived during the wait join this group instead of waiting for the next.
    Returns, once the group has committed, what answers its arrivals: reading the stored complaints back
    needs no write lock, so the caller does it after giving up the turn, while the next group writes."""
    taken: list[_Arrival] = []
    outcomes: dict[int, Outcome] = {}
    committed = False

    def note_commit() -> None:  # the first on-commit hook: everything taken is stored
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            _wait_for_other_groups()
            with _waiting_lock:
                taken = _waiting[:GROUP_LIMIT]
                del _waiting[:GROUP_LIMIT]
                for arrival in taken:
                    arrival.taken = True
            transaction.on_commit(note_commit)
            outcomes.update(_record(taken))
    except Exception as error:  # noqa: BLE001 - see which step failed
        if not taken:  # the begin failed: only the caller's own complaint fails; the others try their turn
            if mine is None:
                raise
            with _waiting_lock:
                if mine in _waiting:
                    _waiting.remove(mine)
            mine.settle(None, error)
            return None
        if not committed:  # the commit failed (a deferred constraint): each again in a transaction of its own
            forget_active_policy()  # it may have been stored by the transaction that rolled back
            for arrival, outcome in zip(taken, _record_alone(taken), strict=True):
                arrival.settle(*outcome)
            return None
        # Committed; a later on-commit step (queueing a delivery) failed: it is retried by the periodic
        # delivery, and no complaint is answered with its error.
        log.exception("after the commit of a group of %d complaints", len(taken))
    return partial(_answer, taken, outcomes)


def _answer(taken: list[_Arrival], outcomes: dict[int, Outcome]) -> None:
    """Answer each arrival with its complaint read back as one moment of the database shows it, fields
    and history alike (at least as new as its group's commit). Should the reading fail, the complaint as
    the group stored it still answers: it is stored, and its tracking number must reach the caller."""
    try:
        with read_snapshot():
            stored = _read_back([complaint.pk for complaint, _error in outcomes.values() if complaint is not None])
    except Exception:  # noqa: BLE001 - answered from what is at hand
        log.exception("reading back a group of %d complaints", len(taken))
        stored = {}
    for arrival in taken:
        complaint, error = outcomes[id(arrival)]
        arrival.settle(stored.get(complaint.pk, complaint) if complaint is not None else None, error)


# PostgreSQL: an advisory lock held to the end of the transaction, so that the groups of all web processes
# take turns, as SQLite's BEGIN IMMEDIATE makes them. Every intake locks the audit chain's head before it
# commits anyway; waiting here instead, before the group is taken, lets the complaints arriving meanwhile
# join it rather than form small groups that then queue on the head one after another.
_GROUP_LOCK = 0x7475_6B73  # "tusk": any number no other part of Tousu uses


def _wait_for_other_groups() -> None:
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GROUP_LOCK])


def _record(arrivals: list[_Arrival]) -> dict[int, Outcome]:
    """Record the arrivals, grouped by recorder, source and language (each keeps its recorder, its first
    owner and the language of its messages)."""
    groups: dict[tuple[int | None, str, str | None], list[_Arrival]] = {}
    for arrival in arrivals:
        groups.setdefault((arrival.by.pk if arrival.by else None, arrival.source, arrival.language),
                          []).append(arrival)
    outcomes: dict[int, Outcome] = {}
    for group in groups.values():
        with translation.override(group[0].language):
            outcomes.update(_record_group(group))
    return outcomes


def _read_back(ids: list[int]) -> dict[int, Complaint]:
    """The complaints with their owners and their events (and actors), as `prefetch_related` would give
    them, in two queries. Attachments: none, since a complaint with files is never recorded in a group."""
    stored = {c.pk: c for c in Complaint.objects.filter(pk__in=ids).order_by().select_related(
        "owner", "first_owner", "department")}
    events: dict[int, list[ComplaintEvent]] = {pk: [] for pk in stored}
    for event in ComplaintEvent.objects.filter(complaint_id__in=ids).select_related("actor"):
        events[event.complaint_id].append(event)
    for pk, complaint in stored.items():
        complaint._prefetched_objects_cache = {
            "events": _fetched(complaint.events.get_queryset(), events[pk]),
            "attachments": _fetched(complaint.attachments.get_queryset(), [])}
    return stored


def _fetched(queryset: QuerySet, rows: list) -> QuerySet:
    queryset._result_cache = rows
    queryset._prefetch_done = True
    return queryset


def _record_group(group: list[_Arrival]) -> dict[int, Outcome]:
    first = group[0]
    if len(group) > 1:
        try:
            stored = record_group([a.data for a in group], by=first.by, source=first.source, now=timezone.now())
        except Exception:  # noqa: BLE001, S110 - nothing of the group was stored: each again on its own
            pass
        else:
            return {id(arrival): (complaint, None) for arrival, complaint in zip(group, stored, strict=True)}
    return {id(arrival): outcome for arrival, outcome in zip(group, _record_alone(group), strict=True)}


def _record_alone(arrivals: list[_Arrival]) -> list[Outcome]:
    """Each complaint on its own (in a savepoint of the turn's transaction, or in a transaction of its own
    after the turn's commit failed), so that only a complaint the database refuses fails."""
    outcomes: list[Outcome] = []
    for arrival in arrivals:
        try:
            with translation.override(arrival.language):
                complaint = record_complaint(arrival.data, by=arrival.by, source=arrival.source, now=timezone.now())
            outcomes.append((complaint, None))
        except Exception as error:  # noqa: BLE001 - raised again in the request's own thread
            outcomes.append((None, error))
    return outcomes
