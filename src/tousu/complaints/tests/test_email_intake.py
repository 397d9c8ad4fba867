from datetime import datetime
from email.message import EmailMessage

import pytest
from django.core.management import CommandError, call_command

from tousu.complaints.models import Complaint
from tousu.intake.email import MailboxSettings, fetch, ingest
from tousu.notify.models import Notification
from tousu.testing import make_complaint
from tousu.testing.servers import DovecotServer
from tousu.timeline import SHANGHAI

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not DovecotServer.available(), reason="dovecot-imapd (make test installs it)")]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def mail(subject: str, body: str, *, sender="张先生 <zhang@example.com>", message_id="<m1@example.com>",
         attachment: bytes | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "tousu@company.example", subject
    message["Message-ID"] = message_id
    message["Date"] = "Mon, 23 Nov 2026 09:30:00 +0800"
    message.set_content(body)
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="jpeg", filename="照片.jpg")
    return message.as_bytes()


@pytest.fixture
def mailbox():
    with DovecotServer() as server:
        server.settings = MailboxSettings(host="127.0.0.1", port=server.port, user=server.USER,
                                          password=server.PASSWORD, ssl=False)
        yield server


def test_a_new_mail_becomes_a_complaint_through_intake(mailbox):
    mailbox.deliver(mail("热水壶漏电", "用了三天就漏电，手被电了一下，要求退款", attachment=b"\xff\xd8\xffjpeg"))
    report = fetch(mailbox.settings, now=NOW)
    [number] = report.created
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.channel == "email" and complaint.source == "email" and complaint.email == "zhang@example.com"
    assert complaint.customer_name == "张先生" and "漏电" in complaint.text
    assert complaint.received_at == datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    assert complaint.assessments.exists() and complaint.deadlines.exists()
    assert complaint.attachments.get().original_name == "照片.jpg"
    assert mailbox.unseen() == 0
    ack = Notification.objects.get(kind="acknowledgement")
    assert ack.address == "zhang@example.com" and number in ack.subject


def test_a_reply_with_the_tracking_number_joins_the_contact_log(mailbox):
    complaint = make_complaint(text="快递没到", email="zhang@example.com")
    mailbox.deliver(mail(f"Re: 您的投诉已受理 {complaint.tracking_number.lower()}", "补充：快递单号 SF123",
                         message_id="<reply@example.com>"))
    report = fetch(mailbox.settings, now=NOW)
    assert report.replies == [complaint.tracking_number] and report.created == []
    contact = complaint.events.get(kind="contact")
    assert contact.data["direction"] == "inbound" and "SF123" in contact.note
    assert Complaint.objects.count() == 1


def test_reading_the_mailbox_again_stores_nothing_twice(mailbox):
    raw = mail("投诉", "电池鼓包", message_id="<dup@example.com>")
    mailbox.deliver(raw)
    assert len(fetch(mailbox.settings, now=NOW).created) == 1
    # the same message again, as after a crash before it was marked seen
    mailbox.deliver(raw)
    again = fetch(mailbox.settings, now=NOW)
    assert again.created == [] and again.duplicates == 1 and Complaint.objects.count() == 1


def test_a_customers_reply_restarts_the_paused_clocks():
    from tousu.accounts.roles import Role
    from tousu.testing import make_department, make_user
    from tousu.workflow.actions.deadlines import pause
    from tousu.workflow.actions.transitions import start_investigation

    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent, text="快递没到", email="zhang@example.com")
    start_investigation(complaint, by=agent, now=NOW)
    pause(complaint, by=agent, reason="请提供快递单号", now=NOW)
    ingest(mail(f"Re: {complaint.tracking_number}", "单号 SF1"), now=NOW)
    complaint.refresh_from_db()
    assert complaint.waiting_since is None and complaint.events.filter(kind="resumed").exists()


def test_the_fetchmail_command_prints_what_it_did(mailbox, capsys):
    mailbox.deliver(mail("投诉", "充电器冒烟"))
    call_command("fetchmail", "--host", "127.0.0.1", "--port", str(mailbox.port), "--user", mailbox.USER,
                 "--password", mailbox.PASSWORD, "--no-ssl")
    assert '"created": ["TS' in capsys.readouterr().out


def test_a_wrong_password_is_a_clear_error(mailbox):
    with pytest.raises(CommandError, match="--user"):
        call_command("fetchmail", "--host", "127.0.0.1", "--port", str(mailbox.port), "--user", mailbox.USER,
                     "--password", "wrong", "--no-ssl")
