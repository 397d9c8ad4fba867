"""A control character (NUL and the like; tab, newline and carriage return are text) in any text field is
refused with an error naming the field, on every intake path: PostgreSQL would refuse NUL at insert."""

import csv
import io

import pytest
from django.utils import timezone, translation

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import IntakeError, validate_intake
from tousu.intake.imports import import_file
from tousu.testing import bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def post(client, user, payload):
    return client.post("/api/complaints", payload, content_type="application/json",
                       headers={**bearer(user), "Accept-Language": "en"})


@pytest.mark.parametrize(("field", "value"), [
    ("text", "热水壶\x00冒烟"),
    ("customer_name", "张\x07伟"),
    ("product", "\x1b[31m电热水壶"),
    ("lot", "L2611\x7f"),
    ("region", "浙江\x85宁波"),
    ("text", "热水壶\ud800冒烟"),  # a lone surrogate: JSON can say it, no database can store it
])
def test_the_api_refuses_a_control_character_naming_the_field(client, field, value):
    agent = make_user(Role.AGENT)
    payload = {"text": "热水壶底座冒烟", field: value}
    response = post(client, agent, payload)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert "cannot be stored" in errors[0]["reason"]
    assert Complaint.objects.count() == 0 and ComplaintEvent.objects.count() == 0


def test_the_error_says_which_character_and_where():
    with pytest.raises(IntakeError) as caught:
        validate_intake({"text": "热水壶\x00冒烟"}, now=timezone.now())
    [error] = caught.value.errors
    assert error.field == "text" and "U+0000" in error.reason and "character 4" in error.reason


def test_every_bad_field_is_named_at_once_beside_other_errors():
    with pytest.raises(IntakeError) as caught:
        validate_intake({"text": "a\x00", "company": "b\x01", "email": "nope"}, now=timezone.now())
    assert {e.field for e in caught.value.errors} == {"text", "company", "email"}


def test_tab_newline_and_carriage_return_are_text(client):
    agent = make_user(Role.AGENT)
    response = post(client, agent, {"text": "第一行\r\n第二行\t附注", "customer_name": "张伟"})
    assert response.status_code == 201, response.content
    assert Complaint.objects.get().text == "第一行\r\n第二行\t附注"


def test_an_import_reports_the_row_and_keeps_the_good_ones():
    buffer = io.StringIO()
    csv.writer(buffer).writerows([
        ["投诉内容", "客户姓名", "产品"],
        ["脚踏螺纹不良", "陈经理", "PD-610"],
        ["年费乱收\x00", "张伟", "信用卡"],
        ["宽带断网", "李\x08娜", "宽带"],
        ["航班延误五小时", "王芳", "航班"],
    ])
    report = import_file(io.BytesIO(buffer.getvalue().encode()), "export.csv", by=None, now=timezone.now())
    assert report.created == 2
    assert {(e.row, e.column) for e in report.errors} == {(3, "投诉内容"), (4, "客户姓名")}
    assert all("cannot be stored" in e.reason for e in report.errors)
    assert set(Complaint.objects.values_list("product", flat=True)) == {"PD-610", "航班"}
