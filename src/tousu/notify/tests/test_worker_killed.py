"""A queue consumer killed in the middle of a delivery: nothing is lost, and after the restart the
message arrives with the same idempotency key, so the receiver handles it exactly once."""

import time

import pytest

from tousu.notify.models import Notification, WebhookEndpoint
from tousu.notify.outbox import enqueue
from tousu.notify.tasks import deliver_due_task
from tousu.testing.processes import kill_group, start_consumer, wait_until
from tousu.testing.servers import WebhookServer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_consumer_killed_mid_delivery_loses_nothing_and_sends_once(settings):
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    HUEY.flush()
    with WebhookServer() as server:
        server.hold_first = True
        WebhookEndpoint.objects.create(name="投诉群", kind="wecom", url=server.url)
        enqueue(key="escalate:1", kind="escalation", subject="升级", body="已超时", recipients=[], now=timezone.now())
        notification = Notification.objects.get()
        consumer = start_consumer(TOUSU_NOTIFY_CLAIM_SECONDS="2")
        try:
            assert server.first_arrived.wait(60), "the consumer never started the delivery"
        finally:
            kill_group(consumer)
        notification.refresh_from_db()
        assert notification.state == "sending" and notification.attempts == 1  # claimed, not lost, not sent
        server.release.set()
        time.sleep(2.1)  # the dead worker's claim runs out
        consumer = start_consumer(TOUSU_NOTIFY_CLAIM_SECONDS="2")
        try:
            deliver_due_task()  # what the periodic task does every minute
            assert wait_until(lambda: Notification.objects.get(pk=notification.pk).state == "sent", 30)
        finally:
            kill_group(consumer)
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert [r["key"] for r in server.requests] == [notification.key, notification.key]  # the same key both times
    assert list(server.processed) == [notification.key]  # handled exactly once
