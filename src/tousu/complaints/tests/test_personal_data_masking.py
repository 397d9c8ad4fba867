"""R-SEC-1: personal data in the complaint text and the history is masked on pages and in the API; a
masked role cannot search by it; opening the full record is an explicit step, written into the history.
The first test is the issue's report (the analyst saw phone, ID number and old/new phone in clear)."""

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.choices import EventKind
from tousu.complaints.models import ComplaintEvent
from tousu.testing import bearer, make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
TEXT = f"我叫张三，电话13812345678，身份证{ID}，邮箱zhangsan@example.com，热水壶漏电"


@pytest.fixture
def complaint():
    agent = make_user(Role.AGENT, department=make_department("service"))
    complaint = make_complaint(by=agent, text=TEXT, phone="13812345678")
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.FIELDS_CHANGED, actor=agent,
                                  at=complaint.received_at, note="客户改用13987654321",
                                  data={"changes": {"phone": ["13812345678", "13987654321"]}})
    return complaint


def _clear_data_in(body: str) -> list[str]:
    return [s for s in ("13812345678", "13987654321", ID, "zhangsan@example.com") if s in body]


def test_an_analyst_sees_text_and_history_masked_on_the_page_and_in_the_api(client, complaint):
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert _clear_data_in(page) == []
    assert "138****5678" in page and "139****4321" in page and "110***********002X" in page
    api = client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(analyst))
    assert _clear_data_in(api.content.decode()) == []
    body = api.json()
    assert body["phone"] == "138****5678" and "z***@example.com" in body["text"]
    changed = next(e for e in body["events"] if e["kind"] == "fields_changed")
    assert changed["data"]["changes"]["phone"] == ["138****5678", "139****4321"]


def test_an_analyst_cannot_open_the_full_record(client, complaint):
    analyst = make_user(Role.ANALYST)
    response = client.get(f"/api/complaints/{complaint.tracking_number}?full=true", headers=bearer(analyst))
    assert response.status_code == 403
    client.force_login(analyst)
    page = client.post(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert _clear_data_in(page) == []
    assert not complaint.events.filter(kind=EventKind.PERSONAL_DATA_VIEWED).exists()


def test_an_agent_opens_the_full_record_on_the_page_and_it_is_logged(client, complaint):
    agent = complaint.owner
    client.force_login(agent)
    masked = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert ID not in masked and 'name="full_record"' in masked
    assert not complaint.events.filter(kind=EventKind.PERSONAL_DATA_VIEWED).exists()
    full = client.post(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert ID in full and "13987654321" in full
    event = complaint.events.get(kind=EventKind.PERSONAL_DATA_VIEWED)
    assert event.actor == agent and event.data == {"via": "page"}


def test_an_agent_opens_the_full_record_through_the_api_and_it_is_logged(client, complaint):
    agent = complaint.owner
    masked = client.get(f"/api/complaints/{complaint.tracking_number}", headers=bearer(agent)).json()
    assert ID not in masked["text"] and masked["phone"] == "13812345678"  # the field stays for call-backs
    full = client.get(f"/api/complaints/{complaint.tracking_number}?full=true", headers=bearer(agent)).json()
    assert full["text"] == TEXT
    assert complaint.events.get(kind=EventKind.PERSONAL_DATA_VIEWED).data == {"via": "api"}


@pytest.mark.parametrize("query", ["13812345678", "138 1234 5678", ID, "zhangsan@example.com", "12345678"])
def test_a_masked_role_cannot_search_by_personal_data_in_the_api(client, complaint, query):
    analyst = make_user(Role.ANALYST)
    response = client.get("/api/complaints", {"q": query}, headers=bearer(analyst))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "q"


def test_a_masked_role_still_searches_by_words_and_a_handler_by_phone(client, complaint):
    analyst = make_user(Role.ANALYST)
    found = client.get("/api/complaints", {"q": "热水壶"}, headers=bearer(analyst)).json()
    assert [c["tracking_number"] for c in found["items"]] == [complaint.tracking_number]
    agent_found = client.get("/api/complaints", {"q": "13812345678"}, headers=bearer(complaint.owner)).json()
    assert [c["tracking_number"] for c in agent_found["items"]] == [complaint.tracking_number]
    assert ID not in agent_found["items"][0]["text"]
