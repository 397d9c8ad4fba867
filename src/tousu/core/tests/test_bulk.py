from datetime import datetime
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
