from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest

from tousu.accounts.roles import Role
from tousu.notify.delivery import deliver_due, message_id
from tousu.notify.models import Notification, WebhookEndpoint
from tousu.notify.outbox import enqueue
from tousu.testing import make_complaint, make_department, make_user
from tousu.testing.servers import SmtpServer, WebhookServer
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        yield server


def test_an_email_notification_reaches_the_smtp_server_once(smtp):
    user = make_user(Role.MANAGER, department=make_department())
    assert enqueue(key="k1", kind="warning", subject="投诉即将超时", body="请处理", recipients=[user], now=NOW) == 1
    assert enqueue(key="k1", kind="warning", subject="投诉即将超时", body="请处理", recipients=[user], now=NOW) == 0
    assert deliver_due(NOW) == {"sent": 1, "retry": 0, "failed": 0}
    assert deliver_due(NOW) == {"sent": 0, "retry": 0, "failed": 0}
    [message] = smtp.messages
    assert message["To"] == user.email and message["Message-ID"] == message_id(f"k1:email:{user.pk}")
    assert str(make_header(decode_header(message["Subject"]))) == "投诉即将超时"
    assert Notification.objects.get().state == "sent"


@pytest.mark.parametrize(("kind", "check"), [
    ("wecom", lambda body: body["msgtype"] == "markdown" and "升级" in body["markdown"]["content"]),
    ("dingtalk", lambda body: body["msgtype"] == "markdown" and body["markdown"]["title"] == "升级"),
    ("feishu", lambda body: body["msg_type"] == "text" and body["content"]["text"].startswith("升级")),
])
def test_chat_webhooks_get_their_own_message_format(kind, check):
    complaint = make_complaint(text="想咨询一下")
    with WebhookServer() as server:
        WebhookEndpoint.objects.create(name="群", kind=kind, url=server.url)
        enqueue(key="esc", kind="escalation", subject="升级", body="TS 已超时", recipients=[], now=NOW,
                complaint=complaint)
        assert deliver_due(NOW)["sent"] == 1
    [request] = server.requests
    assert check(request["body"]) and request["key"].startswith("esc:hook:")


def test_a_department_webhook_hears_only_its_department():
    with WebhookServer() as server:
        WebhookEndpoint.objects.create(name="别的部门", kind="wecom", url=server.url, department=make_department())
        enqueue(key="x", kind="escalation", subject="s", body="b", recipients=[], now=NOW,
                complaint=make_complaint(text="想咨询一下"))
    assert not Notification.objects.exists()


def test_failures_are_retried_with_back_off_and_given_up_at_last():
    with WebhookServer() as server:
        WebhookEndpoint.objects.create(name="群", kind="wecom", url=server.url)
        server.fail_next = 2
        enqueue(key="r", kind="escalation", subject="s", body="b", recipients=[], now=NOW)
        assert deliver_due(NOW) == {"sent": 0, "retry": 1, "failed": 0}
        notification = Notification.objects.get()
        assert notification.next_attempt_at == NOW + timedelta(minutes=1) and "HTTPError" in notification.last_error
        assert deliver_due(NOW + timedelta(seconds=30))["retry"] == 0  # not yet
        assert deliver_due(NOW + timedelta(minutes=1))["retry"] == 1  # second failure: wait two minutes
        assert deliver_due(NOW + timedelta(minutes=3))["sent"] == 1
    assert list(server.processed) == [f"r:hook:{WebhookEndpoint.objects.get().pk}"]


def test_a_robot_that_answers_with_an_error_code_is_retried():
    with WebhookServer(answer={"errcode": 93000, "errmsg": "invalid webhook url"}) as server:
        WebhookEndpoint.objects.create(name="群", kind="wecom", url=server.url)
        enqueue(key="e", kind="escalation", subject="s", body="b", recipients=[], now=NOW)
        assert deliver_due(NOW)["retry"] == 1
    assert "93000" in Notification.objects.get().last_error


def test_after_the_last_attempt_it_is_marked_failed():
    WebhookEndpoint.objects.create(name="断线", kind="wecom", url="http://127.0.0.1:9/nothing-listens")
    enqueue(key="f", kind="escalation", subject="s", body="b", recipients=[], now=NOW)
    Notification.objects.update(attempts=7)
    assert deliver_due(NOW) == {"sent": 0, "retry": 0, "failed": 1}
    assert Notification.objects.get().state == "failed"
