"""The hash chain of the audit trail (R-SEC-4), in plain Python: no Django, so it is tested without a database.

Each history event stores `prev_hash` (the hash of the event before it in the chain), its place `seq`
(1, 2, 3 … without gaps) and `hash`, the SHA-256 of a canonical serialisation of its own fields and
`prev_hash`. Changing, removing or slipping in a row breaks a link that `walk` finds.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64  # the prev_hash of the first event


@dataclass(frozen=True)
class Link:
    """One event as the chain sees it: what was stored, as read back."""

    id: int
    seq: int
    complaint_id: int
    kind: str
    actor_id: int | None
    at: datetime
    note: str
    data: Any
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Problem:
    """The first bad row: its id (or None when the row is missing), and why."""

    event_id: int | None
    reason: str  # changed | deleted | inserted | head
    detail: str


@dataclass(frozen=True)
class Position:
    """Where a walk stands: the last good event."""

    event_id: int
    seq: int
    hash: str


START = Position(event_id=0, seq=0, hash=GENESIS)


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("at: an event time must be aware (it is hashed as UTC)")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(*, seq: int, complaint_id: int | None, kind: str, actor_id: int | None, at: datetime, note: str,
              data: Any, prev_hash: str) -> bytes:
    """One JSON array, keys sorted at every depth, no spaces, UTF-8: the same bytes for the same event
    whichever database gave it back. `data` goes through one JSON round trip first so that what the
    JSON column returns (tuples as lists, integer keys as strings) hashes like what was written."""
    if not _string_keys(data):
        data = json.loads(json.dumps(data, ensure_ascii=False))
    return json.dumps([seq, complaint_id, str(kind), actor_id, canonical_time(at), note or "", data, prev_hash],
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _string_keys(value: Any) -> bool:
    """True when every dict key at every depth is text: then sorted-key JSON of the value is already what
    the JSON column gives back (tuples dump as lists), and the round trip can be skipped."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and _string_keys(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_string_keys(item) for item in value)
    return True


def event_hash(*, seq: int, complaint_id: int | None, kind: str, actor_id: int | None, at: datetime, note: str,
               data: Any, prev_hash: str) -> str:
    return hashlib.sha256(canonical(seq=seq, complaint_id=complaint_id, kind=kind, actor_id=actor_id, at=at,
                                    note=note, data=data, prev_hash=prev_hash)).hexdigest()


def link_hash(link: Link) -> str:
    """What `link.hash` must be for its stored fields."""
    return event_hash(seq=link.seq, complaint_id=link.complaint_id, kind=link.kind, actor_id=link.actor_id,
                      at=link.at, note=link.note, data=link.data, prev_hash=link.prev_hash)


def checkpoint_hash(*, prev_checkpoint_hash: str, event_id: int, seq: int, event_hash: str) -> str:
    """Checkpoints are chained like events, so an edited checkpoint is found before it is trusted."""
    body = json.dumps([event_id, seq, event_hash, prev_checkpoint_hash], separators=(",", ":")).encode()
    return hashlib.sha256(body).hexdigest()


def walk(links: Iterable[Link], *, start: Position = START, on_good: Any = None,
         redacted: Mapping[int, str] | None = None) -> tuple[Position, Problem | None]:
    """Check `links` (in id order, all after `start`) one by one: each must hash to its stored hash,
    carry the previous row's hash and the next place. Returns the last good position and the first
    problem, if any. `on_good(position)` is called after every good row (checkpoints hang on it).
    `redacted` maps the id of a row masked by retention to the hash of its masked fields, as recorded in
    the later, chained `anonymised` event: such a row keeps its original `hash` (the links stay) and
    its present fields must hash to the recorded value."""
    position, before = start, start
    for link in links:
        if link.seq != position.seq + 1 or link.prev_hash != position.hash:
            return position, _broken_link(before, position, link)
        digest = link_hash(link)
        if digest != link.hash and (redacted is None or redacted.get(link.id) != digest):
            return position, Problem(link.id, "changed",
                                     f"event {link.id} (#{link.seq}) does not hash to its stored hash: its "
                                     f"fields or its hash were changed after it was written")
        before, position = position, Position(event_id=link.id, seq=link.seq, hash=link.hash)
        if on_good is not None:
            on_good(position)
    return position, None


def _broken_link(before: Position, position: Position, link: Link) -> Problem:
    if link.seq == position.seq and link.prev_hash == before.hash and position != before:
        return Problem(position.event_id, "inserted",
                       f"event {position.event_id} (#{position.seq}) was written out of band: event {link.id} "
                       f"holds the same place after event {before.event_id}")
    if link.seq > position.seq + 1 and link.prev_hash != position.hash:
        missing = (f"#{position.seq + 1}" if link.seq == position.seq + 2
                   else f"#{position.seq + 1}–#{link.seq - 1}")
        return Problem(None, "deleted",
                       f"event {missing} is missing: event {position.event_id} (#{position.seq}) is followed "
                       f"by event {link.id} (#{link.seq}), whose prev_hash names another row")
    if link.seq == position.seq + 1:
        return Problem(position.event_id, "changed",
                       f"event {link.id} (#{link.seq}) does not carry the hash of event {position.event_id} "
                       f"(#{position.seq}): that row's hash was rewritten (or event {link.id}'s prev_hash)")
    return Problem(link.id, "inserted",
                   f"event {link.id} (#{link.seq}) does not follow event {position.event_id} "
                   f"(#{position.seq}): it was written out of band")


def check_head(position: Position, *, head_event_id: int, head_seq: int, head_hash: str) -> Problem | None:
    """After a walk to the end: the last row must be the one the head recorded in the same transaction."""
    if (position.seq, position.hash) == (head_seq, head_hash) and position.event_id == head_event_id:
        return None
    if position.seq < head_seq:
        return Problem(None, "deleted",
                       f"the chain ends at event {position.event_id} (#{position.seq}) but the head records "
                       f"event {head_event_id} (#{head_seq}): the last rows were deleted")
    if position.seq > head_seq:
        return Problem(position.event_id, "inserted",
                       f"event {position.event_id} (#{position.seq}) lies past the head, event {head_event_id} "
                       f"(#{head_seq}): written out of band")
    return Problem(position.event_id, "head",
                   f"the head (event {head_event_id} #{head_seq}) does not match the last row "
                   f"(event {position.event_id} #{position.seq}): the head or the last row was changed")
