"""The one way history events are written: appended to the audit chain (R-SEC-4) in the caller's
transaction, one (`record`) or many (`record_many`, the bulk row form of EVENT_COLUMNS), and the walk
that verifies the chain (`verify`, behind `tousu verify-audit`).

Actions write events through the typed functions below, one per kind of event, each with its bulk row
form (`<kind>_row`, for `record_many`), so every event of a kind carries the same `data` shape. `data`
holds codes and values, never sentences: pages render them in the reader's language."""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from tousu.complaints.choices import EventKind
from tousu.complaints.models import EVENT_COLUMNS, AuditCheckpoint, AuditHead, ComplaintEvent
from tousu.core import chain
from tousu.core.bulk import adapted_rows, insert_rows

CHECKPOINT_EVERY = 10_000
CHUNK_SIZE = 5_000
CHAIN_COLUMNS = (*EVENT_COLUMNS, "seq", "prev_hash", "hash")


def record(**fields: Any) -> ComplaintEvent:
    """One event (the fields of ComplaintEvent: complaint, kind, actor, at, note, data), chained."""
    event = ComplaintEvent(**fields)
    append([event])
    return event


def append(events: Sequence[ComplaintEvent]) -> list[ComplaintEvent]:
    """Link and store new ComplaintEvent instances (given their primary keys, like bulk_create)."""
    if not events:
        return []
    with transaction.atomic(savepoint=False):  # part of the caller's change: no savepoint of its own
        head = _locked_head()
        seq, last_hash = head.last_seq, head.last_hash
        for event in events:
            if not event._state.adding or event.pk is not None:
                raise ValueError("complaint events are append-only: a stored event is never saved again")
            seq += 1
            event.seq, event.prev_hash = seq, last_hash
            event.hash = last_hash = chain.event_hash(
                seq=seq, complaint_id=event.complaint_id, kind=event.kind, actor_id=event.actor_id, at=event.at,
                note=event.note, data=event.data, prev_hash=event.prev_hash)
        if len(events) == 1:
            models.Model.save(events[0], force_insert=True)  # the model's own save() routes here
        else:
            models.Manager.bulk_create(ComplaintEvent.objects, events)  # the manager's routes here too
        last_id = events[-1].pk or _max_event_id()
        _move_head(last_id, seq, last_hash)
    return list(events)


def record_many(rows: Iterable[Sequence[Any]]) -> int:
    """Many events as (complaint id, kind, actor id, at, note, data) rows, chained in the given order and
    inserted with one prepared statement (imports, sweeps, re-assessment)."""
    rows = _normalised(rows)
    if not rows:
        return 0
    with transaction.atomic(savepoint=False):
        head = _locked_head()
        _store_linked(*_linked(rows, head.last_seq, head.last_hash), head.last_seq)
    return len(rows)


def position() -> int:
    """The sequence number of the audit chain's last event, inside the caller's transaction, with the head
    locked until it ends: every stored change writes an event, so the same position later in another
    transaction means no one else changed anything in between."""
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("position() runs inside the caller's transaction")
    return _locked_head().last_seq


def record_many_in(pool: Any, rows: Iterable[Sequence[Any]]) -> Callable[[], int]:
    """`record_many` in two halves, for an import: the chain's hashes (and the rows in the database's form)
    are worked out in a worker process of `pool` (a multiprocessing pool) while the caller goes on writing
    other rows; the returned function stores the events and moves the head. Call it before any other event
    is written, in the same transaction: the head stays locked in between."""
    rows = _normalised(rows)
    if not rows:
        return lambda: 0
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("record_many_in runs inside the caller's transaction")
    head = _locked_head()
    seq, last_hash = head.last_seq, head.last_hash
    pending = pool.apply_async(_linked, (rows, seq, last_hash))

    def store() -> int:
        _store_linked(*pending.get(timeout=600), seq)
        return len(rows)

    return store


def _normalised(rows: Iterable[Sequence[Any]]) -> list[tuple]:
    return [(complaint_id, kind, actor_id, at, note or "", {} if data is None else data)
            for complaint_id, kind, actor_id, at, note, data in rows]


def _chain_hashes(rows: list[tuple], seq: int, last_hash: str) -> list[str]:
    """The hashes of `rows` appended after the event numbered `seq` with hash `last_hash`, in order."""
    digests = []
    for complaint_id, kind, actor_id, at, note, data in rows:
        seq += 1
        last_hash = chain.event_hash(seq=seq, complaint_id=complaint_id, kind=kind, actor_id=actor_id, at=at,
                                     note=note, data=data, prev_hash=last_hash)
        digests.append(last_hash)
    return digests


def _linked(rows: list[tuple], seq: int, last_hash: str) -> tuple[list, str]:
    """`rows` chained after the event numbered `seq` with hash `last_hash`, as CHAIN_COLUMNS rows in the
    database's form (`adapted_rows`), and the hash of the last. Runs no query: a worker process can."""
    digests = _chain_hashes(rows, seq, last_hash)
    prev_hashes = [last_hash, *digests[:-1]]
    return adapted_rows(ComplaintEvent, CHAIN_COLUMNS, [
        (*row, seq + number, prev_hash, digest)
        for number, (row, prev_hash, digest) in enumerate(zip(rows, prev_hashes, digests, strict=True), start=1)
    ]), digests[-1]


def _store_linked(linked: list, last_hash: str, seq: int) -> None:
    """Insert the `_linked` rows that follow the event numbered `seq`, and move the head past them."""
    insert_rows(ComplaintEvent, CHAIN_COLUMNS, linked, adapted=True)
    _move_head(_max_event_id(), seq + len(linked), last_hash)


# --- typed events: one function per kind, with its bulk row form -------------------------------------

Row = tuple[int | None, str, int | None, datetime, str, dict]


def _actor_id(by: Any) -> int | None:
    return by if isinstance(by, int) or by is None else by.pk


def _row(complaint_id: int | None, kind: str, by: Any, at: datetime, note: str = "", data: dict | None = None) -> Row:
    return (complaint_id, str(kind), _actor_id(by), at, note or "", data or {})


def _write(row: Row) -> ComplaintEvent:
    complaint_id, kind, actor_id, at, note, data = row
    return record(complaint_id=complaint_id, kind=kind, actor_id=actor_id, at=at, note=note, data=data)


def recorded_row(complaint_id: int, *, by: Any, at: datetime, source: str, channel: str, owner: int | None,
                 department: int | None, origin: str = "", row: int | None = None) -> Row:
    """A complaint came in: by whom (None: the public or email), from which source and channel, its first
    owner and department; for an import, the file (`origin`) and its row."""
    data: dict[str, Any] = {"source": source, "channel": channel, "owner": owner, "department": department}
    if origin:
        data.update(origin=origin, row=row)
    return _row(complaint_id, EventKind.IMPORTED if origin else EventKind.RECORDED, by, at, data=data)


def recorded(complaint_id: int, **fields: Any) -> ComplaintEvent:
    return _write(recorded_row(complaint_id, **fields))


def assessed_row(complaint_id: int, *, by: Any, at: datetime, data: dict) -> Row:
    """`data`: trigger, policy ("name version"), before / after risk fields, factors."""
    return _row(complaint_id, EventKind.ASSESSED, by, at, data=data)


def assessed(complaint_id: int, **fields: Any) -> ComplaintEvent:
    return _write(assessed_row(complaint_id, **fields))


def risk_overridden(complaint_id: int, *, by: Any, at: datetime, reason: str, before: str, after: str,
                    assessed_level: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.RISK_OVERRIDDEN, by, at, reason,
                       {"before": before, "after": after, "assessed_level": assessed_level}))


def reopened_by_repeat_row(complaint_id: int, *, at: datetime, reopened: str) -> Row:
    """The new complaint reopened `reopened` (a tracking number), closed earlier about the same matter."""
    return _row(complaint_id, EventKind.NOTE, None, at, data={"reopened": reopened})


def reopened_by_repeat(complaint_id: int, **fields: Any) -> ComplaintEvent:
    return _write(reopened_by_repeat_row(complaint_id, **fields))


def repeat_linked_rows(first_id: int, repeat_id: int, *, at: datetime, first: str, repeat: str, merged: bool,
                       new_facts: list[str], source: str) -> list[Row]:
    """A repeat linked to the first complaint of its handling period, on both complaints' histories."""
    data = {"first": first, "repeat": repeat, "merged": merged, "new_facts": new_facts, "rule_source": source}
    return [_row(repeat_id, EventKind.NOTE, None, at, data={**data, "side": "repeat"}),
            _row(first_id, EventKind.NOTE, None, at, data={**data, "side": "first"})]


def emergency_row(complaint_id: int, *, by: Any, at: datetime, plan: int, state: str, note: str = "",
                  **data: Any) -> Row:
    """The complaint's emergency plan was proposed, linked, activated, declined or closed (`state`)."""
    return _row(complaint_id, EventKind.EMERGENCY, by, at, note, {"plan": plan, "state": state, **data})


def emergency(complaint_id: int, **fields: Any) -> ComplaintEvent:
    return _write(emergency_row(complaint_id, **fields))


def incident_rows(complaint_ids: Iterable[int], *, by: Any, at: datetime, incident: int, action: str,
                  note: str = "") -> list[Row]:
    """A mass incident was opened with, joined by, or closed over these complaints (`action`: opened,
    linked, closed)."""
    return [_row(pk, EventKind.INCIDENT, by, at, note, {"incident": incident, "action": action})
            for pk in complaint_ids]


def attachment_added(complaint_id: int, *, by: Any, at: datetime, name: str, sha256: str,
                     size: int) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.ATTACHMENT_ADDED, by, at,
                       data={"name": name, "sha256": sha256, "size": size}))


def contact(complaint_id: int, *, by: Any, at: datetime, note: str, channel: str, direction: str = "outbound",
            **details: Any) -> ComplaintEvent:
    """A contact with the customer (call, message, mail; `direction` inbound or outbound); `details` name
    what it was about (a message key, a follow-up stage, an expected date …)."""
    return _write(_row(complaint_id, EventKind.CONTACT, by, at, note,
                       {"channel": channel, "direction": direction, **details}))


def reference_case_marked(complaint_id: int, *, by: Any, at: datetime, case: int) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.NOTE, by, at, data={"reference_case": case}))


def personal_data_viewed(complaint_id: int, *, by: Any, at: datetime, via: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.PERSONAL_DATA_VIEWED, by, at, data={"via": via}))


def anonymised(complaint_id: int, *, at: datetime, cleared: list[str], text_masked: bool, events_masked: int,
               redacted: dict[str, str]) -> ComplaintEvent:
    """Retention masked the complaint's personal data; `redacted`: {event id: hash of its masked fields}."""
    return _write(_row(complaint_id, EventKind.ANONYMISED, None, at, data={
        "cleared": cleared, "text_masked": text_masked, "events_masked": events_masked, "redacted": redacted}))


def status_changed(complaint_id: int, *, by: Any, at: datetime, reason: str, action: str, before: str,
                   after: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.STATUS_CHANGED, by, at, reason,
                       {"action": action, "before": before, "after": after}))


def transferred(complaint_id: int, *, by: Any, at: datetime, reason: str, before: dict, after: dict) -> ComplaintEvent:
    """`before` / `after`: {"owner": user id, "department": department id}."""
    return _write(_row(complaint_id, EventKind.TRANSFERRED, by, at, reason, {"before": before, "after": after}))


def paused(complaint_id: int, *, by: Any, at: datetime, reason: str, kind: str = "",
           source: str = "") -> ComplaintEvent:
    """The clocks stopped: waiting for the customer, or (`kind` appraisal) time excluded by `source`."""
    data = {"kind": kind, "source": source} if kind else {}
    return _write(_row(complaint_id, EventKind.PAUSED, by, at, reason, data))


def resumed(complaint_id: int, *, by: Any, at: datetime, note: str, since: datetime, paused_seconds: float | None = None,
            kind: str = "", excluded_seconds: float | None = None) -> ComplaintEvent:
    data: dict[str, Any] = {"since": since.isoformat()}
    if kind:
        data.update(kind=kind, excluded_seconds=excluded_seconds)
    else:
        data["paused_seconds"] = paused_seconds
    return _write(_row(complaint_id, EventKind.RESUMED, by, at, note, data))


def deadline_extended(complaint_id: int, *, by: Any, at: datetime, reason: str, stage: str, before: datetime,
                      after: datetime, second: bool) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.DEADLINE_EXTENDED, by, at, reason,
                       {"stage": stage, "before": before.isoformat(), "after": after.isoformat(), "second": second}))


def deadline_warning_row(complaint_id: int, *, at: datetime, stage: str, due_at: datetime) -> Row:
    return _row(complaint_id, EventKind.DEADLINE_WARNING, None, at, data={"stage": stage, "due_at": due_at.isoformat()})


def escalated_row(complaint_id: int, *, at: datetime, reason: str, step: str, stage: str = "", level: int | None = None,
                  to: list[str] | None = None, plan: int | None = None) -> Row:
    """Escalated (`step`: owner, manager, leader) for a late stage clock, or for an emergency `plan` not
    confirmed within its golden period."""
    data: dict[str, Any] = {"step": step}
    if plan is not None:
        data["plan"] = plan
    else:
        data.update(stage=stage, level=level, to=to or [])
    return _row(complaint_id, EventKind.ESCALATED, None, at, reason, data)


def solution_proposed(complaint_id: int, *, by: Any, at: datetime, measures: str, solution: int, compensation: str,
                      chain: list[str]) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.SOLUTION_PROPOSED, by, at, measures,
                       {"solution": solution, "compensation": compensation, "chain": chain}))


def approval(complaint_id: int, *, by: Any, at: datetime, reason: str, solution: int, step: int, role: str,
             decision: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.APPROVAL, by, at, reason,
                       {"solution": solution, "step": step, "role": role, "decision": decision}))


def root_cause(complaint_id: int, *, by: Any, at: datetime, whys: list[str], category: str, department: int | None,
               person: int | None, evidence: list[int]) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.ROOT_CAUSE, by, at, " → ".join(whys), {
        "category": category, "department": department, "person": person, "evidence": evidence}))


def mediation_ended(complaint_id: int, *, by: Any, at: datetime, note: str, outcome: str,
                    ended_at: datetime) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.NOTE, by, at, note, {"mediation": outcome, "ended_at": ended_at.isoformat()}))


def time_bar_checked(complaint_id: int, *, by: Any, at: datetime, harm_known_on: Any, time_barred: bool,
                     source: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.NOTE, by, at, data={
        "harm_known_on": harm_known_on.isoformat(), "time_barred": time_barred, "source": source}))


def survey_sent(complaint_id: int, *, at: datetime, link: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.SURVEY_SENT, None, at, data={"link": link}))


def survey_answered(complaint_id: int, *, at: datetime, score: int, comment: str) -> ComplaintEvent:
    return _write(_row(complaint_id, EventKind.SURVEY_ANSWERED, None, at, comment, {"score": score}))


def fields_changed(complaint_id: int, *, by: Any, at: datetime, changes: dict[str, list]) -> ComplaintEvent:
    """Facts corrected after intake: {field: [before, after]}."""
    return _write(_row(complaint_id, EventKind.FIELDS_CHANGED, by, at, data={"changes": changes}))


def policy_activated(*, by: Any, at: datetime, policy: str, version: str, previous: str | None) -> ComplaintEvent:
    """A risk policy version was put in force (no complaint: the event belongs to the whole system)."""
    return _write(_row(None, EventKind.POLICY_ACTIVATED, by, at,
                       data={"policy": policy, "version": version, "previous": previous}))


def redact(changed: Sequence[ComplaintEvent]) -> dict[str, str]:
    """Store the masked note and data of events (retention, R-SEC-3) and return {event id: hash of the
    masked fields} for the `anonymised` event to carry: the chain keeps each row's original hash, and the
    verifier accepts the masked row only against the hash that the later, chained event recorded."""
    ComplaintEvent.objects.bulk_update(changed, ["note", "data"], batch_size=500)
    return {str(event.pk): chain.event_hash(seq=event.seq, complaint_id=event.complaint_id, kind=event.kind,
                                            actor_id=event.actor_id, at=event.at, note=event.note,
                                            data=event.data, prev_hash=event.prev_hash) for event in changed}


def _redactions() -> dict[int, str]:
    """What the anonymised events say was masked (only rows before the event that says so count)."""
    found: dict[int, str] = {}
    for event_id, data in (ComplaintEvent.objects.filter(kind=EventKind.ANONYMISED).order_by("id")
                           .values_list("id", "data")):
        for masked_id, digest in ((data or {}).get("redacted") or {}).items():
            if str(masked_id).isdigit() and int(masked_id) < event_id:
                found[int(masked_id)] = digest
    return found


def _locked_head() -> AuditHead:
    head = next(iter(AuditHead.objects.select_for_update().filter(pk=1)), None)
    if head is None:  # the first event ever (two first writers: the second waits on the insert, then reads)
        AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": chain.GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def _move_head(last_event_id: int, seq: int, last_hash: str) -> None:
    AuditHead.objects.filter(pk=1).update(last_event_id=last_event_id, last_seq=seq, last_hash=last_hash)


def _max_event_id() -> int:
    return ComplaintEvent.objects.aggregate(last=models.Max("id"))["last"] or 0


@dataclass
class Verification:
    ok: bool
    checked: int = 0
    started_after: chain.Position = chain.START
    from_checkpoint: bool = False
    end: chain.Position = chain.START
    problem: chain.Problem | None = None
    checkpoints_written: int = 0
    seconds: float = 0.0
    head: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "ok": self.ok, "checked": self.checked, "seconds": round(self.seconds, 3),
            "from_checkpoint": self.from_checkpoint, "started_after_event": self.started_after.event_id,
            "last_event": self.end.event_id, "last_seq": self.end.seq, "last_hash": self.end.hash,
            "head": self.head, "checkpoints_written": self.checkpoints_written,
            "problem": None if self.problem is None else {
                "event_id": self.problem.event_id, "reason": self.problem.reason, "detail": self.problem.detail},
        }


def verify(*, full: bool = False, chunk_size: int = CHUNK_SIZE, checkpoint_every: int = CHECKPOINT_EVERY,
           now: datetime | None = None) -> Verification:
    """Walk the chain in id order from the last checkpoint (from the start with `full`), recomputing every
    hash; after a good walk, store a checkpoint every `checkpoint_every` events."""
    began = time.perf_counter()
    head = AuditHead.objects.filter(pk=1).first()
    head_values = (head.last_event_id, head.last_seq, head.last_hash) if head else (0, 0, chain.GENESIS)
    result = Verification(ok=False, head={"event_id": head_values[0], "seq": head_values[1], "hash": head_values[2]})
    checkpoints = list(AuditCheckpoint.objects.order_by("seq"))
    problem = _check_checkpoints(checkpoints)
    start = chain.START
    if problem is None and checkpoints and not full:
        start, problem = _checkpoint_start(checkpoints[-1])
        result.from_checkpoint = problem is None
    if problem is None:
        result.started_after = start
        due: list[chain.Position] = []
        counted = [0]
        last_checkpoint_seq = checkpoints[-1].seq if checkpoints else 0

        def on_good(position: chain.Position) -> None:
            counted[0] += 1
            if position.seq % checkpoint_every == 0 and position.seq > last_checkpoint_seq:
                due.append(position)

        end, problem = chain.walk(_links_after(start.event_id, chunk_size), start=start, on_good=on_good,
                                  redacted=_redactions())
        result.checked, result.end = counted[0], end
        if problem is None:
            problem = chain.check_head(end, head_event_id=head_values[0], head_seq=head_values[1],
                                       head_hash=head_values[2])
        if problem is None:
            result.checkpoints_written = _write_checkpoints(checkpoints, due, now or timezone.now())
    result.problem, result.ok = problem, problem is None
    result.seconds = time.perf_counter() - began
    return result


def _links_after(event_id: int, chunk_size: int) -> Iterable[chain.Link]:
    rows = (ComplaintEvent.objects.filter(id__gt=event_id).order_by("id")
            .values_list("id", "seq", "complaint_id", "kind", "actor_id", "at", "note", "data", "prev_hash", "hash"))
    for row in rows.iterator(chunk_size=chunk_size):
        yield chain.Link(*row)


def _check_checkpoints(checkpoints: Sequence[AuditCheckpoint]) -> chain.Problem | None:
    prev = chain.GENESIS
    for point in checkpoints:
        expected = chain.checkpoint_hash(prev_checkpoint_hash=prev, event_id=point.event_id, seq=point.seq,
                                         event_hash=point.event_hash)
        if point.prev_hash != prev or point.hash != expected:
            return chain.Problem(point.event_id, "checkpoint",
                                 f"checkpoint #{point.seq} (event {point.event_id}) was changed or slipped in: "
                                 f"run with --full after finding out why")
        prev = point.hash
    return None


def _checkpoint_start(point: AuditCheckpoint) -> tuple[chain.Position, chain.Problem | None]:
    """The last checkpoint's event must still be there, unchanged, with the hash the checkpoint recorded."""
    position = chain.Position(event_id=point.event_id, seq=point.seq, hash=point.event_hash)
    row = (ComplaintEvent.objects.filter(pk=point.event_id)
           .values_list("id", "seq", "complaint_id", "kind", "actor_id", "at", "note", "data", "prev_hash", "hash")
           .first())
    if row is None:
        return position, chain.Problem(point.event_id, "deleted",
                                       f"event {point.event_id} (#{point.seq}), a checkpoint, is missing")
    link = chain.Link(*row)
    digest = chain.link_hash(link)
    if (link.seq, link.hash) != (point.seq, point.event_hash) or digest not in (link.hash, _redactions().get(link.id)):
        return position, chain.Problem(point.event_id, "changed",
                                       f"event {point.event_id} (#{point.seq}), a checkpoint, was changed")
    return position, None


def _write_checkpoints(existing: Sequence[AuditCheckpoint], due: Sequence[chain.Position], now: datetime) -> int:
    if not due:
        return 0
    prev = existing[-1].hash if existing else chain.GENESIS
    fresh = []
    for position in due:
        digest = chain.checkpoint_hash(prev_checkpoint_hash=prev, event_id=position.event_id, seq=position.seq,
                                       event_hash=position.hash)
        fresh.append(AuditCheckpoint(event_id=position.event_id, seq=position.seq, event_hash=position.hash,
                                     prev_hash=prev, hash=digest, made_at=now))
        prev = digest
    with transaction.atomic():
        AuditCheckpoint.objects.bulk_create(fresh, ignore_conflicts=True)  # a concurrent run wrote the same
    return len(fresh)
