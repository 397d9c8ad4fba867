"""An import reads and validates the batch after next in a thread while a batch is stored: its row errors
are worded in the importer's language, counted in file order, and nothing is read ahead while the
workers may still be forked."""

import io
import threading

import pytest
from django.utils import timezone, translation

from tousu.complaints.models import Complaint
from tousu.intake import assessing, imports

pytestmark = pytest.mark.django_db(transaction=False)


def _csv(rows: int, bad: set[int]) -> io.BytesIO:
    lines = ["text,phone,external_id"]
    for i in range(1, rows + 1):
        phone = "12ab" if i in bad else f"1380000{i:04d}"
        lines.append(f"第{i}件：收到的货物有质量问题，要求换货,{phone},R{i}")
    return io.BytesIO("\n".join(lines).encode("utf-8"))


def _import(stream, language: str, workers: int):
    real = assessing.Workers
    with translation.override(language):
        imports.Workers = lambda: real(processes=workers)  # type: ignore[assignment]
        try:
            return imports.import_file(stream, "rows.csv", by=None, now=timezone.now())
        finally:
            imports.Workers = real  # type: ignore[assignment]


@pytest.mark.parametrize("language, word", [("en", "mobile or landline"), ("zh-hans", "手机或固定电话")])
def test_rows_read_in_the_thread_report_their_errors_in_the_importers_language(monkeypatch, language, word):
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    read_in = {}
    real_validate = imports.validate_intake

    def validate(values, **kwargs):
        read_in[values["external_id"]] = threading.current_thread().name
        return real_validate(values, **kwargs)

    monkeypatch.setattr(imports, "validate_intake", validate)
    report = _import(_csv(30, bad={3, 17, 29}), language, workers=1)
    assert report.created == 27 and Complaint.objects.count() == 27
    assert [e.row for e in report.errors] == [4, 18, 30]  # file rows (the header is row 1), in file order
    assert all(word in e.reason for e in report.errors), [e.reason for e in report.errors]
    assert read_in["R1"] == threading.current_thread().name  # the first two batches by the import itself
    assert read_in["R29"].startswith("import-reader")  # later ones in the reader thread


def test_nothing_is_read_ahead_while_the_workers_may_still_be_forked(monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    monkeypatch.setattr(assessing, "MIN_ROWS", 1000)  # no batch is large enough: they are never forked
    threads = set()
    real_validate = imports.validate_intake

    def validate(values, **kwargs):
        threads.add(threading.current_thread().name)
        return real_validate(values, **kwargs)

    monkeypatch.setattr(imports, "validate_intake", validate)
    report = _import(_csv(20, bad=set()), "en", workers=2)
    assert report.created == 20
    assert threads == {threading.current_thread().name}
