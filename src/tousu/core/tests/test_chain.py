"""The audit chain's hash and walk, without a database."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tousu.core import chain

AT = datetime(2026, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)


def make_chain(count: int) -> list[chain.Link]:
    links, prev = [], chain.GENESIS
    for seq in range(1, count + 1):
        fields = {"seq": seq, "complaint_id": 7, "kind": "note", "actor_id": None if seq % 2 else 3,
                  "at": AT + timedelta(minutes=seq), "note": f"第{seq}条", "data": {"b": [1, 2], "a": "值"}}
        digest = chain.event_hash(**fields, prev_hash=prev)
        links.append(chain.Link(id=seq * 10, **fields, prev_hash=prev, hash=digest))
        prev = digest
    return links


def replaced(link: chain.Link, **changes) -> chain.Link:
    return chain.Link(**{**link.__dict__, **changes})


def test_the_same_event_hashes_the_same_whatever_the_time_zone_and_key_order():
    shanghai = AT.astimezone(timezone(timedelta(hours=8)))
    one = chain.event_hash(seq=1, complaint_id=1, kind="note", actor_id=None, at=AT, note="x",
                           data={"a": 1, "b": {"d": 2, "c": 3}}, prev_hash=chain.GENESIS)
    two = chain.event_hash(seq=1, complaint_id=1, kind="note", actor_id=None, at=shanghai, note="x",
                           data={"b": {"c": 3, "d": 2}, "a": 1}, prev_hash=chain.GENESIS)
    assert one == two and len(one) == 64


def test_what_the_json_column_gives_back_hashes_like_what_was_written():
    written = chain.canonical(seq=1, complaint_id=1, kind="note", actor_id=None, at=AT, note="",
                              data={1: ("a", "b")}, prev_hash=chain.GENESIS)
    read_back = chain.canonical(seq=1, complaint_id=1, kind="note", actor_id=None, at=AT, note="",
                                data={"1": ["a", "b"]}, prev_hash=chain.GENESIS)
    assert written == read_back


@pytest.mark.parametrize("field, value", [("note", "改过"), ("kind", "status_changed"), ("actor_id", 9),
                                          ("complaint_id", 8), ("data", {}), ("prev_hash", "1" * 64),
                                          ("at", AT + timedelta(microseconds=1)), ("seq", 2)])
def test_every_field_changes_the_hash(field, value):
    fields = {"seq": 1, "complaint_id": 7, "kind": "note", "actor_id": None, "at": AT, "note": "原文",
              "data": {"a": 1}, "prev_hash": chain.GENESIS}
    assert chain.event_hash(**fields) != chain.event_hash(**{**fields, field: value})


def test_a_naive_time_is_refused_naming_at():
    with pytest.raises(ValueError, match="at"):
        chain.canonical_time(datetime(2026, 1, 1))


def test_a_whole_chain_walks_to_its_last_row():
    links = make_chain(5)
    end, problem = chain.walk(links)
    assert problem is None and end == chain.Position(event_id=50, seq=5, hash=links[-1].hash)


def test_a_changed_note_is_named():
    links = make_chain(5)
    links[2] = replaced(links[2], note="篡改")
    _end, problem = chain.walk(links)
    assert problem is not None and (problem.event_id, problem.reason) == (30, "changed")


def test_a_deleted_row_is_named_by_its_place():
    links = make_chain(5)
    del links[2]
    end, problem = chain.walk(links)
    assert problem is not None and problem.reason == "deleted" and "#3" in problem.detail and end.event_id == 20


def test_a_forged_row_holding_a_place_is_named_as_inserted():
    links = make_chain(5)
    forged_hash = chain.event_hash(seq=3, complaint_id=7, kind="note", actor_id=None, at=AT, note="伪造",
                                   data={}, prev_hash=links[1].hash)
    forged = chain.Link(id=25, seq=3, complaint_id=7, kind="note", actor_id=None, at=AT, note="伪造", data={},
                        prev_hash=links[1].hash, hash=forged_hash)
    _end, problem = chain.walk([*links[:2], forged, *links[2:]])
    assert problem is not None and (problem.event_id, problem.reason) == (25, "inserted")


def test_a_rewritten_hash_is_found_at_the_next_link():
    links = make_chain(5)
    rewritten = replaced(links[1], note="改")
    links[1] = replaced(rewritten, hash=chain.link_hash(rewritten))
    _end, problem = chain.walk(links)
    assert problem is not None and (problem.event_id, problem.reason) == (20, "changed")


def test_the_head_must_match_the_last_row():
    links = make_chain(3)
    end, _problem = chain.walk(links)
    assert chain.check_head(end, head_event_id=30, head_seq=3, head_hash=links[-1].hash) is None
    assert chain.check_head(end, head_event_id=40, head_seq=4, head_hash="f" * 64).reason == "deleted"
    assert chain.check_head(end, head_event_id=20, head_seq=2, head_hash=links[1].hash).reason == "inserted"
    assert chain.check_head(end, head_event_id=30, head_seq=3, head_hash="f" * 64).reason == "head"


def test_a_walk_resumes_from_a_position():
    links = make_chain(6)
    start = chain.Position(event_id=30, seq=3, hash=links[2].hash)
    seen = []
    end, problem = chain.walk(links[3:], start=start, on_good=seen.append)
    assert problem is None and end.seq == 6 and [p.seq for p in seen] == [4, 5, 6]
