import pytest

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.testing import bearer, make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db


def post(client, user, payload):
    return client.post("/api/complaints", payload, content_type="application/json", headers=bearer(user))


def test_it_records_a_complaint_and_returns_its_tracking_number(client):
    service = make_department("service")
    agent = make_user(Role.AGENT, department=service)
    response = post(client, agent, {
        "text": "信用卡年费乱收，要求退还", "channel": "phone", "phone": "138-1234-5678", "amount": "199",
        "product": "白金卡", "demand": "退款", "customer_level": "vip", "received_at": "2026-11-20 09:00",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get(tracking_number=body["tracking_number"])
    assert complaint.phone == "13812345678"
    assert str(complaint.amount) == "199.00"
    assert complaint.demand == "refund"
    assert complaint.owner == agent and complaint.first_owner == agent
    assert complaint.department == service
    assert body["owner"] == "agent" + body["owner"].removeprefix("agent")
    assert body["events"][0]["kind"] == "recorded"
    assert body["events"][0]["actor"] == agent.username


def test_bad_input_names_fields_and_stores_nothing(client):
    agent = make_user(Role.AGENT)
    response = post(client, agent, {"text": " ", "email": "nope", "quantity_delivered": "lots"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"text", "email", "quantity_delivered"}
    assert all(e["reason"] for e in response.json()["errors"])
    assert Complaint.objects.count() == 0
    assert ComplaintEvent.objects.count() == 0


def test_a_body_that_is_not_json_is_a_clear_400(client):
    agent = make_user(Role.AGENT)
    response = client.post("/api/complaints", "{oops", content_type="application/json", headers=bearer(agent))
    assert response.status_code in (400, 422)
    assert response.json()["errors"]
    assert Complaint.objects.count() == 0


def test_analysts_may_not_record(client):
    analyst = make_user(Role.ANALYST)
    response = post(client, analyst, {"text": "x"})
    assert response.status_code == 403
    assert Complaint.objects.count() == 0


def test_it_reads_one_complaint_back_with_history(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent, text="宽带断网四次")
    response = client.get(f"/api/complaints/{complaint.tracking_number.lower()}", headers=bearer(agent))
    assert response.status_code == 200
    assert response.json()["text"] == "宽带断网四次"


def test_another_departments_complaint_is_not_found(client):
    owner = make_user(Role.AGENT, department=make_department())
    outsider = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=owner)
    response = client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(outsider))
    assert response.status_code == 404
    listed = client.get("/api/complaints", headers=bearer(outsider)).json()
    assert listed["count"] == 0


def test_colleagues_in_the_department_see_it(client):
    department = make_department()
    owner = make_user(Role.AGENT, department=department)
    colleague = make_user(Role.SPECIALIST, department=department)
    complaint = make_complaint(by=owner)
    assert client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(colleague)).status_code == 200


def test_analysts_see_every_department_with_personal_data_masked(client):
    agent = make_user(Role.AGENT, department=make_department())
    analyst = make_user(Role.ANALYST, department=make_department())
    complaint = make_complaint(by=agent, phone="13812345678", email="zhang@example.com")
    body = client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(analyst)).json()
    assert body["phone"] == "138****5678"
    assert body["email"] == "z***@example.com"
    own = client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(agent)).json()
    assert own["phone"] == "13812345678"


def test_the_list_filters_and_paginates(client, django_assert_max_num_queries):
    agent = make_user(Role.AGENT, department=make_department())
    for i in range(7):
        make_complaint(by=agent, text=f"第{i}件 宽带故障", channel="phone" if i % 2 else "web")
    make_complaint(by=agent, text="航班延误")
    headers = bearer(agent)
    assert client.get("/api/complaints", headers=headers).json()["count"] == 8
    assert client.get("/api/complaints?channel=phone", headers=headers).json()["count"] == 3
    assert client.get("/api/complaints?q=航班", headers=headers).json()["count"] == 1
    page = client.get("/api/complaints?page=2&page_size=5", headers=headers).json()
    assert len(page["items"]) == 3
    with django_assert_max_num_queries(6):
        client.get("/api/complaints", headers=headers)


def test_the_openapi_schema_is_published(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/complaints" in schema["paths"]
    assert "post" in schema["paths"]["/api/complaints"]
    assert "text" in schema["components"]["schemas"]["ComplaintIn"]["required"]


def test_attachments_upload_through_the_api_with_their_hash(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(by=agent)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 fake jpeg", content_type="image/jpeg")
    response = client.post(f"/api/complaints/{complaint.tracking_number}/attachments", {"file": upload},
                           headers=bearer(agent))
    assert response.status_code == 201
    import hashlib

    assert response.json()["sha256"] == hashlib.sha256(b"\xff\xd8\xff\xe0 fake jpeg").hexdigest()
