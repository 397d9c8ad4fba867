"""A real queue consumer killed in the middle of a background import: after the restart the import goes
on after its last stored batch; every row is stored once and counted once."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint, ImportJob
from tousu.complaints.tasks import import_job_task, queue_import
from tousu.complaints.tests.test_import import csv_bytes
from tousu.intake.import_jobs import resume_stalled, start_import
from tousu.testing import make_user
from tousu.testing.processes import kill_group, start_consumer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
ROWS = 8_000  # four batches: the kill lands after the first, two or three are left to resume
STALL_SECONDS = 2


def test_a_consumer_killed_mid_import_goes_on_after_the_last_stored_batch(settings):
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    settings.TOUSU_IMPORT_STALL_SECONDS = STALL_SECONDS
    consumer_env = {"TOUSU_MEDIA_ROOT": str(settings.MEDIA_ROOT), "TOUSU_IMPORT_STALL_SECONDS": str(STALL_SECONDS)}
    rows = [["external_id", "text"]] + [[f"K{i}", f"第{i}件投诉：宽带又断了"] for i in range(ROWS)]
    job = queue_import(start_import(SimpleUploadedFile("calls.csv", csv_bytes(rows)), by=make_user(Role.SPECIALIST),
                                    channel="phone", now=timezone.now()))  # queued for the consumer when it commits

    consumer = start_consumer(**consumer_env)
    try:
        assert wait_until(lambda: ImportJob.objects.get(pk=job.pk).after_row > 1, 300), "no batch was stored"
    finally:
        kill_group(consumer)
    job.refresh_from_db()
    assert job.state == "running" and job.after_row < ROWS + 1, "killed too late to test anything"
    assert Complaint.objects.count() >= job.created  # the last batch may have been stored but not yet noted

    time.sleep(STALL_SECONDS + 0.5)
    assert resume_stalled(now=timezone.now()) == [job.pk]  # what the periodic task finds every minute
    import_job_task(job.pk)  # and queues again
    consumer = start_consumer(**consumer_env)
    try:
        done = wait_until(lambda: ImportJob.objects.get(pk=job.pk).state == "done", 300)
        seen = ImportJob.objects.values_list("state", "attempts", "after_row", "failure").get(pk=job.pk)
        assert done, f"it was not taken up again: {seen!r}"
    finally:
        kill_group(consumer)
    job.refresh_from_db()
    assert job.attempts == 2 and job.error_count == 0
    assert job.created + job.duplicates == ROWS and job.duplicates <= 2000  # at most the batch in flight
    assert Complaint.objects.count() == ROWS
    assert Complaint.objects.values("external_id").distinct().count() == ROWS
