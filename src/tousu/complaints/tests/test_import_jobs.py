"""Background imports: progress after each committed batch, and a worker that dies mid-file."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.actions import import_jobs
from tousu.complaints.actions.import_jobs import STALL_AFTER, claim, resume_stalled, run_import, start_import
from tousu.complaints.importers import run as importer
from tousu.complaints.models import Complaint, ImportJob
from tousu.complaints.tests.test_import import csv_bytes
from tousu.testing import make_department, make_user

pytestmark = pytest.mark.django_db


def _job(rows: int, *, bad_every: int = 0) -> ImportJob:
    lines = [["external_id", "text", "phone"]]
    for i in range(rows):
        lines.append([f"J{i}", f"第{i}件投诉：快递没到", "12345" if bad_every and i % bad_every == 0 else ""])
    upload = SimpleUploadedFile("big.csv", csv_bytes(lines), content_type="text/csv")
    user = make_user(Role.SPECIALIST, department=make_department())
    return start_import(upload, by=user, channel="phone", now=timezone.now())


def test_progress_is_kept_after_each_batch(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 100)
    job = _job(250)
    seen = []
    real = import_jobs.import_file

    def watching(*args, progress, **kwargs):
        def spy(report, row):
            progress(report, row)
            seen.append(ImportJob.objects.values_list("after_row", "created", "bytes_read").get(pk=job.pk))
        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(import_jobs, "import_file", watching)
    done = run_import(job.pk)
    assert [(row, created) for row, created, _bytes in seen] == [(101, 100), (201, 200), (251, 250)]
    assert seen[0][2] > 0 and done.state == "done" and done.percent == 100
    assert Complaint.objects.filter(channel="phone").count() == 250


def test_a_job_whose_worker_died_goes_on_after_its_last_batch(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 100)
    job = _job(350, bad_every=50)  # rows 2, 52, 102 … have a bad phone: 7 errors in all
    real = import_jobs.import_file

    def dies_after_two_batches(*args, progress, **kwargs):
        def spy(report, row):
            progress(report, row)
            if row >= 200:
                raise SystemExit("worker killed")  # not an Exception: nothing marks the job failed
        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(import_jobs, "import_file", dies_after_two_batches)
    with pytest.raises(SystemExit):
        run_import(job.pk)
    job.refresh_from_db()
    assert job.state == "running" and job.after_row >= 200 and Complaint.objects.count() == job.created
    monkeypatch.setattr(import_jobs, "import_file", real)

    assert run_import(job.pk) is None  # its heartbeat is fresh: it may still be alive
    later = timezone.now() + STALL_AFTER + timedelta(seconds=1)
    enqueued = []
    monkeypatch.setattr(import_jobs, "_enqueue", enqueued.append)
    assert resume_stalled(now=later) == [job.pk] == enqueued
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - STALL_AFTER * 2)
    done = run_import(job.pk)
    assert (done.state, done.attempts, done.created, done.duplicates, done.error_count) == ("done", 2, 343, 0, 7)
    assert Complaint.objects.count() == 343
    assert sorted({e["row"] for e in done.errors}) == [2 + 50 * k for k in range(7)]


def test_a_job_is_run_by_one_worker_only():
    job = _job(3)
    now = timezone.now()
    assert claim(job.pk, now=now) is not None
    assert claim(job.pk, now=now) is None  # running, with a fresh heartbeat
    assert run_import(job.pk) is None


def test_a_worker_that_was_taken_over_stops_without_counting_twice(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_SIZE", 100)
    job = _job(300)
    real = import_jobs.import_file

    def taken_over(*args, progress, **kwargs):
        def spy(report, row):
            ImportJob.objects.filter(pk=job.pk).update(attempts=99)  # another worker claimed it meanwhile
            progress(report, row)
        return real(*args, progress=spy, **kwargs)

    monkeypatch.setattr(import_jobs, "import_file", taken_over)
    assert run_import(job.pk) is None
    assert Complaint.objects.count() == 100  # the batch stored before the takeover was noticed


def test_an_unreadable_file_ends_the_job_with_the_reason():
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    job = start_import(upload, by=make_user(Role.SPECIALIST), channel="", now=timezone.now())
    done = run_import(job.pk)
    assert done.state == "done" and done.created == 0 and done.error_count == 1
    assert ".csv" in done.errors[0]["reason"]


def test_a_job_that_breaks_the_importer_is_marked_failed(monkeypatch):
    job = _job(3)

    def broken(*args, **kwargs):
        raise ValueError("disk full")

    monkeypatch.setattr(import_jobs, "import_file", broken)
    done = run_import(job.pk)
    assert done.state == "failed" and "disk full" in done.failure


def test_agents_may_not_start_an_import():
    from tousu.complaints.access import AccessDenied

    upload = SimpleUploadedFile("x.csv", b"text\\n", content_type="text/csv")
    with pytest.raises(AccessDenied):
        start_import(upload, by=make_user(Role.AGENT), channel="", now=timezone.now())
    assert not ImportJob.objects.exists()
