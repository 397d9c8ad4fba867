"""Every form on the workspace pages, given bad input, comes back (422) with what was typed and the message
beside its field in Chinese, and changes nothing."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.utils import timezone

from tousu.assessments.models import Incident
from tousu.testing import make_complaint, make_team
from tousu.workflow.actions import approvals
from tousu.workflow.actions.survey import send_survey
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import Solution, Survey

pytestmark = pytest.mark.django_db
REQUIRED = "这个字段是必填项。"


@pytest.fixture
def team():
    return make_team()


def _as(client, user):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(user)
    return client


def _beside(page: str, name: str, message: str) -> bool:
    """Django's stacked form puts a field's errors right before its paragraph."""
    pattern = (rf'<ul class="errorlist"[^>]*>(?:(?!</ul>).)*{re.escape(message)}(?:(?!</ul>).)*</ul>\s*<p>'
               rf'(?:(?!</p>).)*name="{name}"')
    return re.search(pattern, page, re.S) is not None


def _investigating(team):
    complaint = make_complaint(by=team["agent"], text="想咨询一下退货流程")
    perform(complaint, "start_investigation", by=team["agent"], now=timezone.now())
    return complaint


def test_a_solution_with_a_negative_amount_keeps_the_measures_and_names_the_amount(client, team):
    complaint = _investigating(team)
    response = _as(client, team["agent"]).post(f"/complaints/{complaint.tracking_number}/solutions/", {
        "measures": "退货退款并补偿运费", "owner": team["agent"].pk, "due_date": "2030-01-01", "compensation": "-5"})
    page = response.content.decode()
    assert response.status_code == 422 and "退货退款并补偿运费</textarea>" in page
    assert _beside(page, "compensation", "确保该值大于或等于 0") or _beside(page, "compensation", "确保该值大于或等于0")
    assert not Solution.objects.exists()


def test_a_root_cause_without_a_category_keeps_the_whys(client, team):
    complaint = _investigating(team)
    response = _as(client, team["agent"]).post(f"/complaints/{complaint.tracking_number}/root-cause/", {
        "category": "", "why1": "包装不牢"})
    page = response.content.decode()
    assert response.status_code == 422 and 'value="包装不牢"' in page and _beside(page, "category", REQUIRED)
    assert not hasattr(complaint, "root_cause") or complaint.root_cause is None


def test_a_contact_without_what_was_said_comes_back(client, team):
    complaint = _investigating(team)
    response = _as(client, team["agent"]).post(f"/complaints/{complaint.tracking_number}/contacts/", {
        "channel": "email", "note": ""})
    page = response.content.decode()
    assert response.status_code == 422 and _beside(page, "note", REQUIRED)
    assert '<option value="email" selected>' in page and not complaint.events.filter(kind="contact").exists()


def test_an_override_without_a_reason_keeps_the_level_chosen(client, team):
    complaint = _investigating(team)
    response = _as(client, team["manager"]).post(f"/complaints/{complaint.tracking_number}/risk-override/", {
        "level": "high", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 422 and _beside(page, "reason", REQUIRED)
    assert '<option value="high" selected>' in page and not complaint.risk_overrides.exists()


def test_an_upload_without_a_file_says_so_beside_the_field(client, team):
    complaint = _investigating(team)
    response = _as(client, team["agent"]).post(f"/complaints/{complaint.tracking_number}/attachments/", {})
    assert response.status_code == 422 and _beside(response.content.decode(), "attachments", "")
    assert not complaint.attachments.exists()


def test_a_rejection_without_a_reason_stays_on_the_solution_with_the_message(client, team):
    complaint = _investigating(team)
    solution = approvals.propose_solution(complaint, approvals.SolutionInput(
        measures="补发", owner=team["agent"], due_date=date(2030, 1, 1)), by=team["agent"], now=timezone.now())
    response = _as(client, team["specialist"]).post(f"/solutions/{solution.pk}/decision/", {
        "decision": "reject", "reason": ""})
    form = re.search(rf'<form[^>]*id="decide-{solution.pk}".*?</form>', response.content.decode(), re.S).group(0)
    assert response.status_code == 422 and '<ul class="errorlist"' in form
    solution.refresh_from_db()
    assert solution.status == "pending"


def test_a_survey_answer_without_a_score_keeps_the_comment(client, team):
    complaint = make_complaint(by=team["agent"], text="想咨询一下退货流程")
    survey = send_survey(complaint, now=timezone.now())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.post(f"/survey/{survey.token}/", {"comment": "客服态度很好"})
    page = response.content.decode()
    assert response.status_code == 422 and "客服态度很好</textarea>" in page and REQUIRED in page
    assert Survey.objects.get(pk=survey.pk).answered_at is None


def test_closing_an_incident_without_saying_why_keeps_the_row_and_says_why(client, team):
    incident = Incident.objects.create(key="product", value="电热水壶 K1", opened_at=timezone.now(), count_at_open=9,
                                       expected=1.5)
    response = _as(client, team["quality"]).post(f"/incidents/{incident.pk}/close/", {"note": "  "})
    form = re.search(rf'<form[^>]*id="close-incident-{incident.pk}".*?</form>', response.content.decode(), re.S)
    assert response.status_code == 422 and 'aria-invalid="true"' in form.group(0)
    assert '<span class="errorlist">' in form.group(0)
    incident.refresh_from_db()
    assert incident.state == "open"
