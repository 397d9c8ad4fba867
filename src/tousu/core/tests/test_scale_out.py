"""Scale-out (issue 13): two app servers (two `tousu serve --no-consumer` on two ports) and two queue
consumers share one PostgreSQL and one Redis. Overdue complaints come in through both servers; then both
consumers run the minute's sweep and delivery rounds (as each one's scheduler enqueues them) in the same
instant as two more sweeps with their delivery rounds (what `tousu sweep` does, as cron on two machines
would). Every overdue clock is escalated once, every warning is given once, and every notification reaches
its receiver once.

Runs on the PostgreSQL half of `make test` only; Redis is a throwaway `redis-server` (DESIGN.md), else the
machine's on 127.0.0.1:6379."""

import json
import os
import socket
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import urllib3
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tousu.accounts.models import ApiToken
from tousu.accounts.roles import Role
from tousu.complaints.choices import EventKind
from tousu.complaints.models import ComplaintEvent
from tousu.notify.models import Notification, WebhookEndpoint
from tousu.testing import make_team, make_user
from tousu.testing.losses import check_deliveries, received_keys
from tousu.testing.processes import test_database_url as database_url
from tousu.testing.served import Consumer, Server, stop, tousu_command, wait_until
from tousu.testing.servers import RedisServer, SmtpServer, WebhookServer, free_port
from tousu.workflow.models import Deadline, Escalation

pytestmark = pytest.mark.django_db(transaction=True)

# Processes that boot, say they are ready and wait for the word, so that their rounds start in the same
# instant: either a sweep with its delivery round (what `tousu sweep` does, as cron on two machines would), or
# what each consumer's scheduler puts in the queue at the top of a minute, twice over (two consumers).
ROUND = """
import json, os, time
from pathlib import Path
from django.utils import timezone
from tousu.notify.delivery import deliver_due
from tousu.notify.tasks import deliver_due_task, deliver_periodically
from tousu.workflow.actions.sweep import sweep
from tousu.workflow.tasks import sweep_periodically
Path(os.environ["ROUND_READY"]).touch()
while not Path(os.environ["ROUND_GO"]).exists():
    time.sleep(0.002)
if os.environ["ROUND"] == "sweep":
    now = timezone.now()
    print(json.dumps({**sweep(now), "notifications": deliver_due(now)}))
else:
    for _consumer in range(2):
        sweep_periodically()
        deliver_periodically()
        deliver_due_task()
"""
QUEUE_KEY = "huey.redis.tousu"


@pytest.fixture
def redis_url():
    if connection.vendor != "postgresql":
        pytest.skip("runs on the PostgreSQL half of make test only (the SQLite half runs test_load_without_loss)")
    if RedisServer.available():
        with RedisServer() as server:
            yield server.url
        return
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        pytest.skip("no redis-server to start (scripts/system-deps.sh installs it) and no Redis on 127.0.0.1:6379")
    import redis

    url = "redis://127.0.0.1:6379/15"
    redis.Redis.from_url(url).flushdb()
    yield url
    redis.Redis.from_url(url).flushdb()


def _post(port: int, token: str, body: dict) -> str:
    response = urllib3.request("POST", f"http://127.0.0.1:{port}/api/complaints", json=body, retries=False,
                               headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert response.status == 201, response.data
    return json.loads(response.data)["tracking_number"]


def test_two_app_servers_and_two_consumers_escalate_warn_and_send_each_thing_once(redis_url, tmp_path):
    import redis

    team = make_team()
    make_user(Role.LEADER)
    token = ApiToken.issue(team["agent"]).key
    queue = redis.Redis.from_url(redis_url)
    with SmtpServer() as smtp, WebhookServer() as webhook:
        WebhookEndpoint.objects.create(name="投诉处理群", kind="wecom", url=webhook.url)
        env = {**os.environ, "DATABASE_URL": database_url(), "TOUSU_DATA_DIR": str(settings.DATA_DIR),
               "REDIS_URL": redis_url, "TOUSU_EMAIL_HOST": "127.0.0.1", "TOUSU_EMAIL_PORT": str(smtp.port)}
        logs = [(tmp_path / f"consumer{n}.log").open("w") for n in (1, 2)]
        servers = [Server(free_port(), env, workers=1, threads=2, consumer=False).launch() for _ in range(2)]
        consumers = [Consumer(env, workers=2, log=log).start() for log in logs]
        go = tmp_path / "go"
        rounds = [subprocess.Popen(tousu_command("shell", "-c", ROUND), stdout=subprocess.DEVNULL, start_new_session=True,
                                   env={**env, "ROUND": what, "ROUND_READY": str(tmp_path / f"ready{n}"),
                                        "ROUND_GO": str(go)})
                  for n, what in enumerate(["sweep", "sweep", "consumers"])]
        try:
            for server in servers:
                server.wait_ready()
            now = timezone.now()
            numbers = []
            for n in range(10):
                # Eight received ten days ago (every intake clock overdue), two 20 hours ago (the 24-hour
                # acknowledgement is three quarters gone: a warning is due, no escalation).
                received = now - (timedelta(days=10) if n < 8 else timedelta(hours=20))
                numbers.append(_post(servers[n % 2].port, token, {
                    "text": f"买的电热水壶第 {n} 次不加热了，客服一直没有回复，要求退款", "channel": "phone",
                    "phone": f"1381234{n:04d}", "product": "电热水壶 KT-17", "received_at": received.isoformat()}))
            clocks = Deadline.objects.filter(complaint__tracking_number__in=numbers, met_at__isnull=True,
                                             paused_at__isnull=True)
            overdue = set(clocks.filter(due_at__lte=timezone.now()).values_list("id", flat=True))
            to_warn = set(clocks.filter(warn_at__lte=timezone.now(), due_at__gt=timezone.now() + timedelta(minutes=5))
                          .values_list("id", flat=True))
            assert len(overdue) >= 8 and to_warn

            assert wait_until(lambda: all((tmp_path / f"ready{n}").exists() for n in range(3))
                              and all("consumer started" in Path(log.name).read_text() for log in logs), 60)
            go.touch()
            for process in rounds:
                assert process.wait(60) == 0

            def settled() -> bool:
                return (not queue.llen(QUEUE_KEY) and Escalation.objects.filter(deadline__in=overdue).count() >= len(overdue)
                        and not Notification.objects.exclude(state=Notification.State.SENT).exists())

            assert wait_until(settled, 30), "the sweep and delivery rounds did not finish"
            time.sleep(1.5)  # time for a late second escalation or send to show itself
        finally:
            for process in rounds:
                stop(process)
            for server in servers:
                server.stop()
            for consumer in consumers:
                consumer.stop()
            for log in logs:
                log.close()
        arrived = received_keys(smtp, webhook)

    both = [Path(log.name).read_text() for log in logs]
    assert all("Executing tousu." in text for text in both), "one consumer did no work"
    escalations = Counter(Escalation.objects.filter(deadline__in=overdue).values_list("deadline_id", "level"))
    assert set(escalations) == {(pk, 1) for pk in overdue} and set(escalations.values()) == {1}
    assert not Deadline.objects.filter(pk__in=overdue, escalation_level__gt=1).exists()
    events = ComplaintEvent.objects.filter(complaint__tracking_number__in=numbers)
    assert events.filter(kind=EventKind.ESCALATED).count() == len(overdue)
    assert events.filter(kind=EventKind.DEADLINE_WARNING).count() == len(to_warn)
    assert Deadline.objects.filter(pk__in=to_warn, warned_at__isnull=False).count() == len(to_warn)
    deliveries = check_deliveries(arrived)
    assert deliveries.due >= len(overdue) + len(to_warn) and deliveries.exactly_once, deliveries.summary()
    assert set(arrived.values()) == {1}, deliveries.summary()  # nothing was killed: not even a repeat by key
