import re

import pytest

from tousu.complaints.models import Complaint
from tousu.testing import make_complaint

pytestmark = pytest.mark.django_db


def submit(client, **fields):
    data = {"text": "买的奶粉有异物，孩子喝了拉肚子", "phone": "13812345678", "email": "", "demand": "",
            "customer_name": "", "product": "", "order_no": "", "region": "", "website": ""}
    data.update(fields)
    return client.post("/public/", data)


def test_a_customer_files_a_complaint_and_sees_the_tracking_number(client):
    assert client.get("/public/").status_code == 200
    response = submit(client)
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/public/submitted/{complaint.tracking_number}/"
    page = client.get(response["Location"]).content.decode()
    assert complaint.tracking_number in page
    assert complaint.source == "public" and complaint.channel == "web" and complaint.recorded_by is None


def test_the_confirmation_page_is_only_for_the_browser_that_filed(client):
    complaint = make_complaint(phone="13812345678")
    response = client.get(f"/public/submitted/{complaint.tracking_number}/")
    assert response.status_code == 302 and response["Location"] == "/public/lookup/"


def test_a_contact_is_required_so_the_customer_can_look_it_up(client):
    response = submit(client, phone="", email="")
    assert response.status_code == 422
    assert "phone" in response.context["form"].errors
    assert Complaint.objects.count() == 0


def test_bad_input_is_named_and_nothing_is_stored(client):
    response = submit(client, text="", phone="999")
    assert response.status_code == 422
    assert {"text", "phone"} <= set(response.context["form"].errors)
    assert Complaint.objects.count() == 0


def test_a_bot_filling_the_hidden_field_at_once_stores_nothing_and_is_answered_like_a_success(client):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 200
    assert Complaint.objects.count() == 0
    assert "public/submitted.html" in [t.name for t in response.templates]


def _rendered_token(client) -> str:
    page = client.get("/public/").content.decode()
    return re.search(r'name="rendered" value="([^"]+)"', page).group(1)


def test_the_trap_field_is_hidden_without_any_stylesheet(client):
    page = client.get("/public/").content.decode()
    # The `hidden` attribute hides it in every browser even when the CSS does not load.
    assert re.search(r'<div class="hp" hidden aria-hidden="true"><input[^>]+name="website"', page)


def test_a_person_whose_browser_filled_the_trap_still_gets_the_complaint_stored(client, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+08:00", tick=False)
    token = _rendered_token(client)
    time_machine.move_to("2026-12-01 10:02:00+08:00", tick=False)
    response = submit(client, website="autofilled", rendered=token)
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/public/submitted/{complaint.tracking_number}/"


def test_a_filled_trap_posted_a_second_after_the_page_was_rendered_is_a_bot(client, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+08:00", tick=False)
    token = _rendered_token(client)
    time_machine.move_to("2026-12-01 10:00:01+08:00", tick=False)
    response = submit(client, website="http://spam.example", rendered=token)
    assert response.status_code == 200 and Complaint.objects.count() == 0


def test_lookup_with_number_and_phone_shows_progress(client):
    complaint = make_complaint(phone="13812345678", text="宽带断网")
    response = client.post("/public/lookup/", {"tracking_number": complaint.tracking_number.lower(),
                                               "contact": "138 1234 5678"})
    assert response.status_code == 200
    page = response.content.decode()
    assert complaint.tracking_number in page
    assert 'id="status"' in page
    assert "13812345678" not in page  # the page shows progress, not personal data


def test_lookup_with_email_works(client):
    complaint = make_complaint(email="chen@example.com")
    response = client.post("/public/lookup/", {"tracking_number": complaint.tracking_number,
                                               "contact": "Chen@Example.com"})
    assert response.status_code == 200


def test_a_wrong_phone_reveals_nothing(client):
    complaint = make_complaint(phone="13812345678", text="非常私密的投诉内容")
    wrong_phone = client.post("/public/lookup/", {"tracking_number": complaint.tracking_number,
                                                  "contact": "13900000000"})
    wrong_number = client.post("/public/lookup/", {"tracking_number": "TS2611-ZZZZZ", "contact": "13812345678"})
    assert wrong_phone.status_code == wrong_number.status_code == 404
    for response in (wrong_phone, wrong_number):
        page = response.content.decode()
        assert "非常私密的投诉内容" not in page

    def scrubbed(response, *typed):
        page = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", response.content.decode())
        for value in typed:
            page = page.replace(value, "")
        return page

    assert scrubbed(wrong_phone, complaint.tracking_number, "13900000000") == \
        scrubbed(wrong_number, "TS2611-ZZZZZ", "13812345678")


def test_an_anonymous_complaint_without_contact_cannot_be_looked_up_by_an_empty_contact(client):
    complaint = make_complaint()
    response = client.post("/public/lookup/", {"tracking_number": complaint.tracking_number, "contact": "@"})
    assert response.status_code == 404


def test_lookups_are_throttled_per_client(client, settings):
    settings.TOUSU_PUBLIC_LOOKUP_LIMIT = 3
    statuses = [client.post("/public/lookup/", {"tracking_number": "TS2611-ZZZZZ", "contact": "13812345678"},
                            REMOTE_ADDR="10.9.9.9").status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    other = client.post("/public/lookup/", {"tracking_number": "TS2611-ZZZZZ", "contact": "13812345678"},
                        REMOTE_ADDR="10.9.9.10")
    assert other.status_code == 404


def test_submissions_are_throttled_per_client(client, settings):
    settings.TOUSU_PUBLIC_SUBMIT_LIMIT = 2
    statuses = [submit(client, text=f"第{i}次").status_code for i in range(4)]
    assert statuses == [302, 302, 429, 429]
    assert Complaint.objects.count() == 2
