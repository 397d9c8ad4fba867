"""A real queue consumer killed in the middle of a background import: after the restart the import goes
on after its last stored batch; every row is stored once and counted once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.actions.import_jobs import resume_stalled, start_import
from tousu.complaints.models import Complaint, ImportJob
from tousu.complaints.tests.test_import import csv_bytes
from tousu.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 12_000
STALL_SECONDS = 2


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _consumer() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "TOUSU_DATA_DIR": str(settings.DATA_DIR),
           "TOUSU_MEDIA_ROOT": str(settings.MEDIA_ROOT), "TOUSU_IMPORT_STALL_SECONDS": str(STALL_SECONDS)}
    return subprocess.Popen([sys.executable, "-m", "tousu.cli", "run_huey", "--workers", "1", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait(condition, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _stop(consumer: subprocess.Popen) -> None:
    if consumer.poll() is None:
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait(10)


def test_a_consumer_killed_mid_import_goes_on_after_the_last_stored_batch(settings):
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    settings.TOUSU_IMPORT_STALL_SECONDS = STALL_SECONDS
    rows = [["external_id", "text"]] + [[f"K{i}", f"第{i}件投诉：宽带又断了"] for i in range(ROWS)]
    job = start_import(SimpleUploadedFile("calls.csv", csv_bytes(rows)), by=make_user(Role.SPECIALIST),
                       channel="phone", now=timezone.now())  # queued for the consumer when it commits

    consumer = _consumer()
    try:
        assert _wait(lambda: ImportJob.objects.get(pk=job.pk).after_row > 1), "the consumer never stored a batch"
        os.killpg(consumer.pid, signal.SIGKILL)
        consumer.wait(10)
    finally:
        _stop(consumer)
    job.refresh_from_db()
    assert job.state == "running" and job.after_row < ROWS + 1, "killed too late to test anything"
    assert Complaint.objects.count() >= job.created  # the last batch may have been stored but not yet noted

    time.sleep(STALL_SECONDS + 0.5)
    assert resume_stalled(now=timezone.now()) == [job.pk]  # what the periodic task does every minute
    consumer = _consumer()
    try:
        assert _wait(lambda: ImportJob.objects.get(pk=job.pk).state == "done"), "the import was not taken up again"
    finally:
        _stop(consumer)
    job.refresh_from_db()
    assert job.attempts == 2 and job.error_count == 0
    assert job.created + job.duplicates == ROWS and job.duplicates <= 2000  # at most the batch in flight
    assert Complaint.objects.count() == ROWS
    assert Complaint.objects.values("external_id").distinct().count() == ROWS
