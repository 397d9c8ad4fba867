"""The complaint page, the home page, the live risk preview, menus and error pages, in the reader's language."""

import pytest
from django.test import override_settings
from django.utils import translation

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.core.display import reason_text, reasons_summary
from tousu.testing import make_complaint, make_department, make_user

pytestmark = pytest.mark.django_db


@translation.override("zh-hans")
def test_reasons_read_as_chinese_sentences_with_their_evidence():
    assert reason_text({"factor": "compliance", "rule": "compliance.regulator", "detail": "matched 12315",
                        "matches": [{"word": "12315", "position": 33}]}) == "合规与法律：提到“12315”（第 34 字）"
    assert reason_text({"factor": "money", "rule": "money.high_amount", "value": 12000.0, "limit": 10000.0,
                        "matches": []}) == "经济损失：金额 ¥12,000 ≥ ¥10,000"
    summary = reasons_summary("high", [{"factor": "money", "rule": "money.amount", "value": 500, "matches": []}])
    assert summary == "高风险：经济损失：金额 ¥500"


def test_the_complaint_page_shows_the_assessment_first_with_an_emergency_banner_in_chinese(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(text="孩子骑车时脚踏断裂摔伤骨折住院，我已经打了12315", by=agent)
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert 'id="emergency-banner"' in page
    assert page.index('id="risk"') < page.index('id="handling"') if 'id="handling"' in page else True
    assert "人身安全：提到“摔伤”" in page and "合规与法律：提到“12315”" in page
    assert "safety.injury" not in page and ">high<" not in page
    assert "风险评估（受理时）" in page or "风险等级：— → 高" in page  # history as readable lines


def test_history_rows_read_before_and_after_not_raw_data(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(text="孩子被烫伤住院了", by=agent)
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert "风险等级：— → 高" in page and "{&#x27;" not in page and "{'" not in page


def test_in_english_the_same_values_read_in_english(client):
    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(text="孩子被烫伤住院了", by=agent)
    client.force_login(agent)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert "personal safety: mentions" in page and "risk level: — → High" in page


def test_the_preview_assesses_what_the_agent_types_and_stores_nothing(client):
    agent = make_user(Role.AGENT, department=make_department())
    client.force_login(agent)
    page = client.post("/complaints/new/preview/", {"text": "热水壶爆炸，孩子被烫伤", "channel": "phone"}).content.decode()
    assert ">高</span>" in page and "人身安全" in page and Complaint.objects.count() == 0


def test_an_analyst_may_not_preview_or_record(client):
    client.force_login(make_user(Role.ANALYST))
    assert client.post("/complaints/new/preview/", {"text": "x"}).status_code == 403
    page = client.get("/complaints/").content.decode()
    assert "/complaints/new/" not in page and "/complaints/import/" not in page


def test_an_agent_sees_no_import_in_the_menu(client):
    client.force_login(make_user(Role.AGENT, department=make_department()))
    page = client.get("/complaints/").content.decode()
    assert "/complaints/new/" in page and "/complaints/import/" not in page


def test_a_failed_intake_form_keeps_the_input_and_names_each_field_once(client):
    agent = make_user(Role.AGENT, department=make_department())
    client.force_login(agent)
    response = client.post("/complaints/new/", {"text": "", "channel": "phone", "phone": "999", "customer_level": "regular",
                                                "customer_name": "王女士"})
    page = response.content.decode()
    assert response.status_code == 422 and 'value="王女士"' in page
    assert page.count('class="field-error"') == len(response.context["form"].errors)


def test_the_home_page_lists_my_queue_and_counts(client):
    agent = make_user(Role.AGENT, department=make_department())
    mine = make_complaint(text="孩子被烫伤住院了", by=agent)
    client.force_login(agent)
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 200 and mine.tracking_number in page
    assert response.context["queues"][0]["count"] == 1


def test_the_home_page_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    agent = make_user(Role.MANAGER, department=make_department())
    for i in range(3):
        make_complaint(text=f"快递丢了{i}", by=agent)
    client.force_login(agent)
    client.get("/")
    with django_assert_max_num_queries(30) as few:
        client.get("/")
    for i in range(20):
        make_complaint(text=f"宽带断了{i}", by=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/")


@override_settings(DEBUG=False)
def test_error_pages_speak_chinese(client):
    client.force_login(make_user(Role.AGENT, department=make_department()))
    page = client.get("/complaints/TS0000-XXXXX/").content.decode()
    assert "找不到" in page or "没有这个" in page


def test_a_phone_only_customer_gets_an_sms_ready_survey_text(client):
    from django.utils import timezone

    from tousu.workflow.actions.survey import send_survey

    agent = make_user(Role.AGENT, department=make_department())
    complaint = make_complaint(text="快递丢了，要求赔偿", phone="13812345678", by=agent)
    send_survey(complaint, now=timezone.now())
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.tracking_number}/").content.decode()
    assert 'id="survey-sms"' in page and f"您的投诉 {complaint.tracking_number} 已办结" in page
