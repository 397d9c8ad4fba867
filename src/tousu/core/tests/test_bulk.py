from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tousu.complaints.events import record_many
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.core.bulk import rows_where_in, update_rows
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db


def test_rows_inserted_in_bulk_read_back_as_the_orm_would_store_them():
    complaint = make_complaint(text="想咨询一下")
    at = datetime(2026, 2, 16, 23, 59, 58, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    data = {"说明": "漏电", "amount": "12.50", "nested": [1, {"a": None}]}
    # Events are bulk-written through the audit chain, which inserts with insert_rows.
    record_many([(complaint.pk, "note", None, at, "批量", data)])
    event = ComplaintEvent.objects.get(note="批量")
    assert event.at == at and event.data == data
    assert ComplaintEvent.objects.filter(at=at, data__说明="漏电").exists()  # lookups match what was written



def test_rows_where_in_reads_across_chunks_and_ignores_unknown_values():
    stored = [make_complaint(text=f"第{i}件投诉") for i in range(5)]
    numbers = [c.tracking_number for c in stored]
    found = rows_where_in(Complaint, "tracking_number", [*numbers, "TS0000-NONE0"], "tracking_number", "id",
                          chunk=2)
    assert sorted(found) == sorted((c.tracking_number, c.pk) for c in stored)
    assert rows_where_in(Complaint, "tracking_number", [], "id") == []


def test_update_rows_sets_the_fields_of_each_row_and_leaves_others_alone():
    first, second, third = (make_complaint(text=f"第{i}件投诉") for i in range(3))
    at = datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    updated = update_rows(Complaint, ("waiting_since", "region"), [(first.pk, at, "上海"), (second.pk, None, "北京")])
    assert updated == 2
    rows = {c.pk: (c.waiting_since, c.region) for c in Complaint.objects.all()}
    assert rows[first.pk] == (at, "上海") and rows[second.pk] == (None, "北京")
    assert rows[third.pk] == (third.waiting_since, third.region)
    assert update_rows(Complaint, ("region",), []) == 0


# --- inserts_behind, reserve_ids ----------------------------------------------------------------------------

def _stored(table: str, ids: list[int]) -> list[dict]:
    """Each column's value and SQLite storage class (but the id's), as the rows lie in the table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id", ids)
        names = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
        cursor.execute(f"SELECT {', '.join(f'typeof({name})' for name in names)} FROM {table} "
                       f"WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id", ids)
        kinds = cursor.fetchall()
    return [{name: pair for name, *pair in zip(names, row, kind, strict=True) if name != "id"}
            for row, kind in zip(rows, kinds, strict=True)]


def _sqlite_only():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("inserts behind the caller run on SQLite only; elsewhere insert_rows is unchanged")


def test_rows_inserted_behind_lie_in_the_table_exactly_as_rows_inserted_directly():
    """Decimals, times, JSON, booleans, empty values and Chinese text: the thread's one-statement insert
    stores each value with the same value and storage class as the driver's own binding."""
    _sqlite_only()
    from django.db import transaction

    from tousu.core.bulk import insert_rows, inserts_behind
    from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS
    from tousu.workflow.models import Deadline

    complaint = make_complaint(text="热水壶底座冒烟，要求赔偿 1,280.50 元", amount="1280.50")
    at = datetime(2026, 2, 16, 23, 59, 58, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    clock = (complaint.pk, "test-behind", {"working_days": 5, "说明": "工作日"}, at, at, None, at, 0, 12.5, 0, "",
             "", "policy", "", "", "")
    columns = [field.name for field in Complaint._meta.concrete_fields if not field.primary_key]
    complaint.text, complaint.emergency, complaint.quantity_delivered = "漏电\n\"引号\" 和 \\ 反斜杠", True, None

    def complaint_row(number: str) -> tuple:
        complaint.tracking_number = number
        return tuple(getattr(complaint, Complaint._meta.get_field(name).attname) for name in columns)

    with transaction.atomic():
        direct = [insert_rows(Deadline, DEADLINE_COLUMNS, [(*clock[:1], "test-direct", *clock[2:])]),
                  insert_rows(Complaint, columns, [complaint_row("TS-DIRECT")])]
        with inserts_behind():
            behind = [insert_rows(Deadline, DEADLINE_COLUMNS, [clock]),
                      insert_rows(Complaint, columns, [complaint_row("TS-BEHIND")])]
    assert direct == behind == [1, 1]
    clocks = list(Deadline.objects.filter(stage__startswith="test-").order_by("id").values_list("id", flat=True))
    first, second = _stored("workflow_deadline", clocks)
    assert first.pop("stage") == ["test-direct", "text"] and second.pop("stage") == ["test-behind", "text"]
    assert first == second and first["duration"][1] == "text" and first["excluded_seconds"] == [12.5, "real"]
    ids = [Complaint.objects.get(tracking_number=n).pk for n in ("TS-DIRECT", "TS-BEHIND")]
    direct_row, behind_row = _stored("complaints_complaint", ids)
    assert direct_row.pop("tracking_number") == ["TS-DIRECT", "text"]
    assert behind_row.pop("tracking_number") == ["TS-BEHIND", "text"]
    assert direct_row == behind_row and direct_row["amount"] == [1280.5, "real"]
    found = Complaint.objects.filter(text__contains="反斜杠", amount=Decimal("1280.50"))
    assert found.count() == 2  # the search and the amount's lookups see both alike


def test_a_query_inside_the_block_sees_the_rows_handed_over_before_it():
    _sqlite_only()
    from django.db import transaction

    from tousu.core.bulk import insert_rows, inserts_behind
    from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS
    from tousu.workflow.models import Deadline

    complaint = make_complaint(text="想咨询一下")
    at = datetime(2026, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    before = Deadline.objects.filter(complaint=complaint).count()
    rows = [(complaint.pk, f"stage-{i}", {}, at, at, None, None, 0, 0, 0, "", "", "policy", "", "", "")
            for i in range(3000)]
    with transaction.atomic(), inserts_behind():
        insert_rows(Deadline, DEADLINE_COLUMNS, rows)
        assert Deadline.objects.filter(stage__startswith="stage-").count() == 3000
        insert_rows(Deadline, DEADLINE_COLUMNS, [(row[0], f"later-{row[1]}", *row[2:]) for row in rows[:5]])
    assert Deadline.objects.filter(complaint=complaint).count() - before == 3005


def test_an_insert_that_fails_behind_raises_the_databases_error_and_the_transaction_keeps_nothing():
    _sqlite_only()
    from django.db import IntegrityError, transaction

    from tousu.core.bulk import insert_rows, inserts_behind

    stored = make_complaint(text="想咨询一下")
    taken = stored.tracking_number
    columns = [field.name for field in Complaint._meta.concrete_fields if not field.primary_key]

    def row(number: str) -> tuple:
        stored.tracking_number = number
        return tuple(getattr(stored, Complaint._meta.get_field(name).attname) for name in columns)

    with pytest.raises(IntegrityError), transaction.atomic(), inserts_behind():
        insert_rows(Complaint, columns, [row("TS-NEW-1")])
        insert_rows(Complaint, columns, [row(taken)])  # the tracking number is unique
        insert_rows(Complaint, columns, [row("TS-NEW-2")])
    assert not Complaint.objects.filter(tracking_number__startswith="TS-NEW").exists()
    with pytest.raises(IntegrityError), transaction.atomic(), inserts_behind():
        insert_rows(Complaint, columns, [row(taken)])
        Complaint.objects.count()  # the next query raises it
    assert Complaint.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_reserved_ids_belong_inside_a_transaction():
    from tousu.core.bulk import reserve_ids

    with pytest.raises(RuntimeError):
        reserve_ids(Complaint, 1)


@pytest.mark.django_db(transaction=True)
def test_inserts_behind_belong_inside_a_transaction():
    from tousu.core.bulk import inserts_behind

    _sqlite_only()
    with pytest.raises(RuntimeError), inserts_behind():
        pass


def test_reserved_ids_come_after_every_id_given_and_the_next_insert_comes_after_them():
    from django.db import transaction

    from tousu.core.bulk import insert_rows, reserve_ids

    stored = make_complaint(text="第一件")
    columns = [field.name for field in Complaint._meta.concrete_fields if not field.primary_key]
    with transaction.atomic():
        ids = reserve_ids(Complaint, 3)
        assert ids == sorted(ids) and len(set(ids)) == 3 and min(ids) > stored.pk
        rows = []
        for pk in ids:
            stored.tracking_number, stored.text = f"TS-R{pk}", f"预留 {pk}"
            rows.append((pk, *(getattr(stored, Complaint._meta.get_field(name).attname) for name in columns)))
        insert_rows(Complaint, ("id", *columns), rows)
        assert reserve_ids(Complaint, 0) == []
        assert min(reserve_ids(Complaint, 1)) > max(ids)  # what is stored counts, reserved or not
    later = make_complaint(text="之后")
    assert later.pk > max(ids)
    assert sorted(Complaint.objects.filter(text__startswith="预留").values_list("id", flat=True)) == ids


def test_text_with_a_nul_goes_in_whole_behind_the_caller_too():
    """SQLite's JSON reading would end such a text at the NUL: those rows take the driver's path."""
    _sqlite_only()
    from django.db import transaction

    from tousu.core.bulk import insert_rows, inserts_behind

    stored = make_complaint(text="想咨询一下")
    columns = [field.name for field in Complaint._meta.concrete_fields if not field.primary_key]
    stored.tracking_number, stored.text = "TS-NUL", "前\x00后"
    with transaction.atomic(), inserts_behind():
        insert_rows(Complaint, columns, [tuple(getattr(stored, Complaint._meta.get_field(name).attname)
                                               for name in columns)])
    assert Complaint.objects.get(tracking_number="TS-NUL").text == "前\x00后"


def test_after_an_insert_behind_failed_every_later_query_fails_too():
    """What was handed over after the failed INSERT was dropped: nothing may go on as if it were stored."""
    _sqlite_only()
    from django.db import IntegrityError, transaction

    from tousu.core.bulk import insert_rows, inserts_behind

    stored = make_complaint(text="想咨询一下")
    columns = [field.name for field in Complaint._meta.concrete_fields if not field.primary_key]
    row = tuple(getattr(stored, Complaint._meta.get_field(name).attname) for name in columns)
    with pytest.raises(IntegrityError), transaction.atomic(), inserts_behind():
        insert_rows(Complaint, columns, [row])  # the same tracking number again
        with pytest.raises(IntegrityError):
            Complaint.objects.count()
        Complaint.objects.exists()  # raises again
    assert Complaint.objects.count() == 1
