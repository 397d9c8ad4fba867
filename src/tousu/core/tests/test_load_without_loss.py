"""Load without loss (issue 13): clients record complaints over HTTP while the web workers and the queue
consumer are killed with SIGKILL, more than once each. Every complaint answered with 201 is stored with its
assessment and its clocks, and every notification in the outbox reaches its receiver, where its idempotency
key makes a second arrival recognisable as the same message.

A short form of `bench/load.py --kill`, bounded to about 40 s. It runs on the SQLite half of `make test`
only (the two halves run side by side on two shared cores; PostgreSQL's many writers are the scale-out
test's subject)."""

import os

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from tousu.accounts.models import ApiToken
from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.notify.models import WebhookEndpoint
from tousu.testing import make_team, make_user
from tousu.testing.load import run_clients
from tousu.testing.losses import check_deliveries, check_stored, drain_outbox, received_keys
from tousu.testing.processes import test_database_url as database_url
from tousu.testing.served import Consumer, Killer, Server, kill_plan
from tousu.testing.servers import SmtpServer, WebhookServer, free_port

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                       reason="runs on the SQLite half of make test only (the PostgreSQL half runs test_scale_out)"),
]

SECONDS = 15


def test_killing_web_workers_and_the_consumer_loses_no_complaint_and_no_notification():
    HUEY.flush()
    team = make_team()
    make_user(Role.LEADER)  # two leaders: each emergency is two emails and a chat message
    token = ApiToken.issue(team["agent"]).key
    with SmtpServer() as smtp, WebhookServer(delay=0.3) as webhook:
        WebhookEndpoint.objects.create(name="投诉处理群", kind="wecom", url=webhook.url)
        env = {**os.environ, "DATABASE_URL": database_url(), "TOUSU_DATA_DIR": str(settings.DATA_DIR),
               "TOUSU_EMAIL_HOST": "127.0.0.1", "TOUSU_EMAIL_PORT": str(smtp.port),
               "TOUSU_NOTIFY_CLAIM_SECONDS": "3"}
        server = Server(free_port(), env, workers=2, threads=2, consumer=False).launch()
        consumer = Consumer(env, restart_after=0.5).start()
        try:
            server.wait_ready()
            killer = Killer(server, consumer, kill_plan(SECONDS), consumer_busy=lambda: webhook.in_flight > 0).start()
            load = run_clients(server.port, token, clients=8, seconds=SECONDS)
            killer.join()
        finally:
            server.stop()
        try:
            drained = drain_outbox(40)
        finally:
            consumer.stop()
        arrived = received_keys(smtp, webhook)

    kinds = [what for _at, what, pids in killer.done if pids]
    assert kinds.count("the consumer") == 2 and kinds.count("one web worker") + kinds.count("every web worker") == 3
    assert consumer.restarts >= 2
    stored = check_stored(load.created)
    assert len(load.created) >= 20 and stored.lost == 0, stored.summary()
    assert Complaint.objects.count() >= len(load.created)
    deliveries = check_deliveries(arrived)
    assert drained and deliveries.due > 0 and deliveries.exactly_once, deliveries.summary()
