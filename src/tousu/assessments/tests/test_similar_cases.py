import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.actions.cases import mark_reference_case
from tousu.complaints.models import Complaint
from tousu.testing import bearer, make_complaint, make_user

pytestmark = pytest.mark.django_db


def _closed(text: str):
    complaint = make_complaint(text=text)
    Complaint.objects.filter(pk=complaint.pk).update(status="closed", closed_at=timezone.now())
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def library():
    quality = make_user(Role.QUALITY)
    card = _closed("信用卡被盗刷了三笔，银行不给处理")
    mark_reference_case(card, by=quality, solution="冻结卡片，调单后全额退回", outcome="客户满意", now=timezone.now())
    _closed("快递送到了别人家，一直没有找回")
    _closed("贷款利息太高，暴力催收打电话给家人")
    new = make_complaint(text="我的信用卡被人盗刷了，银行一直不处理")
    return {"quality": quality, "card": card, "new": new}


def test_a_complaint_shows_the_most_similar_past_case_first_with_how_it_was_solved(client, library):
    answer = client.get(f"/api/complaints/{library['new'].tracking_number}/similar",
                        headers=bearer(library["quality"])).json()
    assert answer[0]["tracking_number"] == library["card"].tracking_number
    assert answer[0]["reference"] and answer[0]["solution"] == "冻结卡片，调单后全额退回"
    assert library["new"].tracking_number not in [c["tracking_number"] for c in answer]


def test_the_similar_command_prints_the_same_as_json(capsys, library):
    call_command("similar", library["new"].tracking_number, "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed["similar"][0]["tracking_number"] == library["card"].tracking_number
    assert printed["similar"][0]["outcome"] == "客户满意"


def test_the_panel_shows_the_cases_and_offers_the_form_only_on_a_closed_complaint(client, library):
    client.force_login(library["quality"])
    panel = client.get(f"/complaints/{library['new'].tracking_number}/similar/").content.decode()
    assert library["card"].tracking_number in panel and "冻结卡片" in panel and "reference-case/" not in panel
    closed = _closed("信用卡年费没告知就扣了")
    assert "reference-case/" in client.get(f"/complaints/{closed.tracking_number}/similar/").content.decode()
    refused = client.post(f"/complaints/{closed.tracking_number}/reference-case/", {"solution": "", "outcome": "x"},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 422
    done = client.post(f"/complaints/{closed.tracking_number}/reference-case/", {"solution": "退年费", "outcome": "满意"},
                       headers={"HX-Request": "true"})
    assert done.status_code == 200 and 'id="reference-case"' in done.content.decode()
