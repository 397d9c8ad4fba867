"""Background imports: progress after each committed batch, and a worker that dies mid-file."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint, ImportJob
from tousu.complaints.tests.test_import import csv_bytes
from tousu.complaints.validation import IntakeError
from tousu.intake import import_jobs
from tousu.intake import imports as importer
from tousu.intake.import_jobs import claim, resume_stalled, run_import, stall_after, start_import
from tousu.testing import bearer, make_department, make_user

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
    first_started = job.started_at
    monkeypatch.setattr(import_jobs, "import_file", real)

    assert run_import(job.pk) is None  # its heartbeat is fresh: it may still be alive
    later = timezone.now() + stall_after() + timedelta(seconds=1)
    assert resume_stalled(now=later) == [job.pk]
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - stall_after() * 2)
    done = run_import(job.pk)
    assert (done.state, done.attempts, done.created, done.duplicates, done.error_count) == ("done", 2, 343, 0, 7)
    assert Complaint.objects.count() == 343 and done.started_at == first_started
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


def test_an_unreadable_workbook_ends_the_job_with_the_reason():
    # Looks like a workbook at upload (a zip holding xl/workbook.xml) but openpyxl cannot read it.
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", b"not a workbook")
    upload = SimpleUploadedFile("export.xlsx", buffer.getvalue(), content_type="application/octet-stream")
    job = start_import(upload, by=make_user(Role.SPECIALIST), channel="", now=timezone.now())
    done = run_import(job.pk)
    assert done.state == "done" and done.created == 0 and done.error_count == 1
    assert "Excel" in done.errors[0]["reason"]


@pytest.mark.parametrize(("name", "channel", "field"), [("notes.txt", "", "file"), ("a.csv", "pigeon", "channel")])
def test_a_file_that_cannot_be_imported_is_refused_at_upload(name, channel, field):
    upload = SimpleUploadedFile(name, b"text\n", content_type="text/plain")
    with pytest.raises(IntakeError) as refused:
        start_import(upload, by=make_user(Role.SPECIALIST), channel=channel, now=timezone.now())
    assert [e.field for e in refused.value.errors] == [field]
    assert not ImportJob.objects.exists()


def test_the_api_queues_an_import_and_reports_on_it(client):
    user = make_user(Role.SPECIALIST, department=make_department())
    auth = bearer(user)
    upload = SimpleUploadedFile("calls.csv", csv_bytes([["text"], ["电话投诉：宽带断网"], [""], ["客服态度差"]]))
    response = client.post("/api/imports", {"file": upload, "channel": "phone"}, headers=auth)
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["file"], body["state"], body["created"]) == ("calls.csv", "queued", 0)
    run_import(body["id"])
    done = client.get(f"/api/imports/{body['id']}", headers=auth).json()
    assert (done["state"], done["created"], done["percent"], len(done["tracking_numbers"])) == ("done", 2, 100, 2)
    assert Complaint.objects.filter(channel="phone").count() == 2

    bad = client.post("/api/imports", {"file": SimpleUploadedFile("x.pdf", b"%PDF"), "channel": "pigeon"},
                      headers=auth)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"file", "channel"}
    agent = bearer(make_user(Role.AGENT))
    assert client.get(f"/api/imports/{body['id']}", headers=agent).status_code == 403
    assert client.post("/api/imports", {"file": SimpleUploadedFile("y.csv", b"text\nx\n")},
                       headers=agent).status_code == 403


def test_the_upload_page_names_a_file_it_cannot_import(client):
    client.force_login(make_user(Role.SPECIALIST))
    response = client.post("/complaints/import/", {"file": SimpleUploadedFile("notes.txt", b"hello"), "channel": ""})
    assert response.status_code == 200 and "notes.txt" in response.content.decode()
    assert not ImportJob.objects.exists()


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
