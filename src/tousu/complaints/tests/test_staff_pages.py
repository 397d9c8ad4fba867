import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tousu.accounts.roles import Role
from tousu.complaints.models import Attachment, Complaint, ComplaintEvent
from tousu.testing import make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = make_user(Role.AGENT, department=make_department("service", "客户服务中心"))
    client.force_login(user)
    return user


def test_pages_need_a_login(client):
    response = client.get("/complaints/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_login_page_logs_in(client):
    make_user(Role.AGENT, username="wang", password="s3cret-pass")
    response = client.post("/accounts/login/", {"username": "wang", "password": "s3cret-pass"})
    assert response.status_code == 302
    assert client.get("/complaints/").status_code == 200


def test_an_agent_records_a_phone_complaint_with_attachments(client, agent):
    photo = SimpleUploadedFile("crack.jpg", b"\xff\xd8\xff\xe0jpeg bytes", content_type="image/jpeg")
    response = client.post("/complaints/new/", {
        "channel": "phone", "text": "脚踏体开裂，骑行摔倒", "customer_name": "刘工", "phone": "13820013344",
        "customer_level": "regular", "quantity_delivered": "800", "quantity_defective": "9",
        "attachments": [photo],
    })
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/complaints/{complaint.tracking_number}/"
    assert complaint.source == "form" and complaint.channel == "phone"
    assert complaint.first_owner == agent
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(b"\xff\xd8\xff\xe0jpeg bytes").hexdigest()
    assert attachment.file.read() == b"\xff\xd8\xff\xe0jpeg bytes"
    page = client.get(response["Location"]).content.decode()
    assert complaint.tracking_number in page and "脚踏体开裂" in page


def test_bad_input_reshows_the_form_with_messages_and_stores_nothing(client, agent):
    response = client.post("/complaints/new/", {
        "channel": "phone", "text": "", "phone": "12", "customer_level": "regular",
        "quantity_delivered": "5", "quantity_defective": "x",
    })
    assert response.status_code == 422
    form = response.context["form"]
    assert {"text", "phone", "quantity_defective"} <= set(form.errors)
    assert Complaint.objects.count() == 0


def test_the_list_shows_visible_complaints_and_filters_with_htmx(client, agent):
    make_complaint(by=agent, text="宽带断网", channel="phone")
    make_complaint(by=agent, text="航班延误", channel="web")
    make_complaint(by=make_user(Role.AGENT, department=make_department()), text="别的部门的投诉")
    page = client.get("/complaints/").content.decode()
    assert "宽带断网" in page and "航班延误" in page and "别的部门的投诉" not in page
    partial = client.get("/complaints/?channel=web", headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "航班延误" in body and "宽带断网" not in body and "<html" not in body


def test_an_agent_logs_a_contact_and_adds_an_attachment(client, agent):
    complaint = make_complaint(by=agent)
    client.post(f"/complaints/{complaint.tracking_number}/contacts/", {"channel": "phone", "note": "已致电客户说明"})
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    client.post(f"/complaints/{complaint.tracking_number}/attachments/", {"attachments": [upload]})
    kinds = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == ["recorded", "assessed", "emergency", "contact", "attachment_added"]  # 冒烟: emergency proposed
    attachment = complaint.attachments.get()
    download = client.get(f"/complaints/{complaint.tracking_number}/attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"


def test_the_same_file_twice_is_stored_once_on_disk(client, agent):
    complaint = make_complaint(by=agent)
    for _ in range(2):
        upload = SimpleUploadedFile("same.png", b"\x89PNG\r\n\x1a\nsame bytes")
        client.post(f"/complaints/{complaint.tracking_number}/attachments/", {"attachments": [upload]})
    names = set(Attachment.objects.values_list("file", flat=True))
    assert len(names) == 1 and Attachment.objects.count() == 2


def test_analysts_read_but_cannot_record_or_change(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent, phone="13812345678")
    client.force_login(make_user(Role.ANALYST))
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert client.get("/complaints/new/").status_code == 403
    response = client.post(f"/complaints/{complaint.tracking_number}/contacts/", {"channel": "phone", "note": "x"})
    assert response.status_code == 403
    assert not complaint.events.filter(kind="contact").exists()


def test_another_departments_complaint_page_is_not_found(client, agent):
    other = make_complaint(by=make_user(Role.AGENT, department=make_department()))
    assert client.get(f"/complaints/{other.tracking_number}/").status_code == 404
