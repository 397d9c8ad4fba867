"""A queue consumer killed in the middle of a delivery: nothing is lost, and after the restart the
message arrives with the same idempotency key, so the receiver handles it exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tousu.notify.models import Notification, WebhookEndpoint
from tousu.notify.outbox import enqueue
from tousu.notify.tasks import deliver_due_task
from tousu.testing.servers import WebhookServer

pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _consumer() -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _database_url(), "TOUSU_NOTIFY_CLAIM_SECONDS": "2",
           "TOUSU_DATA_DIR": str(settings.DATA_DIR)}
    return subprocess.Popen([sys.executable, "-m", "tousu.cli", "run_huey", "--workers", "1", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_consumer_killed_mid_delivery_loses_nothing_and_sends_once(settings):
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    with WebhookServer() as server:
        server.hold_first = True
        WebhookEndpoint.objects.create(name="投诉群", kind="wecom", url=server.url)
        enqueue(key="escalate:1", kind="escalation", subject="升级", body="已超时", recipients=[], now=timezone.now())
        notification = Notification.objects.get()
        consumer = _consumer()
        try:
            assert server.first_arrived.wait(60), "the consumer never started the delivery"
            os.killpg(consumer.pid, signal.SIGKILL)
            consumer.wait(10)
        finally:
            if consumer.poll() is None:
                os.killpg(consumer.pid, signal.SIGKILL)
        notification.refresh_from_db()
        assert notification.state == "sending" and notification.attempts == 1  # claimed, not lost, not sent
        server.release.set()
        time.sleep(2.1)  # the dead worker's claim runs out
        consumer = _consumer()
        try:
            deliver_due_task()  # what the periodic task does every minute
            assert _wait(lambda: Notification.objects.get(pk=notification.pk).state == "sent")
        finally:
            os.killpg(consumer.pid, signal.SIGKILL)
            consumer.wait(10)
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert [r["key"] for r in server.requests] == [notification.key, notification.key]  # the same key both times
    assert list(server.processed) == [notification.key]  # handled exactly once
