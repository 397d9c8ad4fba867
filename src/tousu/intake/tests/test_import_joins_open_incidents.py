"""An import whose rows belong to an open incident links them to it (and to its plan) in bulk: the number
of statements does not grow with the rows."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.assessments.models import Incident
from tousu.complaints.tests.test_import import csv_bytes
from tousu.intake.imports import import_file

pytestmark = pytest.mark.django_db


def _import(rows: int, start: int, now) -> tuple[int, int]:
    lines = [["external_id", "text"]] + [[f"K{i}", f"第{i}件投诉：宽带又断了"] for i in range(start, start + rows)]
    with CaptureQueriesContext(connection) as seen:
        report = import_file(io.BytesIO(csv_bytes(lines)), f"calls-{start}.csv", by=None, now=now)
    assert report.created == rows
    return len(seen.captured_queries), report.created


def test_rows_of_an_open_cluster_incident_join_it_in_a_fixed_number_of_statements():
    now = timezone.now()
    incident = Incident.objects.create(key="cluster", value="宽带|断了", opened_at=now, count_at_open=50,
                                       expected=1.0)
    few, _ = _import(20, 0, now)
    many, _ = _import(400, 1000, now)
    assert incident.complaints.count() == 420
    assert many <= few + 5  # not a few statements per row
    linked = incident.complaints.first()
    assert linked.events.filter(kind="incident", data__action="linked").exists()
