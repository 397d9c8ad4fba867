import pytest
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.actions.cases import mark_reference_case
from tousu.assessments.models import ReferenceCase
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import IntakeError
from tousu.testing import bearer, make_complaint, make_user

pytestmark = pytest.mark.django_db


def _closed(text="信用卡被盗刷三笔，银行拒绝处理"):
    complaint = make_complaint(text=text)
    Complaint.objects.filter(pk=complaint.pk).update(status="closed", closed_at=timezone.now())
    complaint.refresh_from_db()
    return complaint


def test_a_closed_complaint_is_kept_as_a_reference_case_with_its_solution_outcome_and_event():
    complaint = _closed()
    quality = make_user(Role.QUALITY)
    case = mark_reference_case(complaint, by=quality, solution="冻结卡片，调单后全额退回", outcome="客户满意，已结案",
                               now=timezone.now())
    assert (case.solution, case.outcome, case.marked_by) == ("冻结卡片，调单后全额退回", "客户满意，已结案", quality)
    assert complaint.events.filter(kind="note", data__reference_case=case.pk).exists()


def test_an_open_complaint_or_a_blank_solution_is_refused_and_changes_nothing():
    open_one = make_complaint(text="信用卡被盗刷")
    with pytest.raises(IntakeError) as refused:
        mark_reference_case(open_one, by=make_user(Role.QUALITY), solution=" ", outcome="好", now=timezone.now())
    assert {e.field for e in refused.value.errors} == {"status", "solution"}
    assert not ReferenceCase.objects.exists()


def test_only_those_who_approve_mark_reference_cases_and_only_once():
    complaint = _closed()
    with pytest.raises(AccessDenied):
        mark_reference_case(complaint, by=make_user(Role.AGENT), solution="a", outcome="b", now=timezone.now())
    specialist = make_user(Role.SPECIALIST)
    mark_reference_case(complaint, by=specialist, solution="a", outcome="b", now=timezone.now())
    with pytest.raises(IntakeError) as again:
        mark_reference_case(complaint, by=specialist, solution="a", outcome="b", now=timezone.now())
    assert again.value.errors[0].field == "complaint"


def test_the_api_marks_a_reference_case_and_names_a_bad_field(client):
    complaint = _closed()
    quality = make_user(Role.QUALITY)
    bad = client.post(f"/api/complaints/{complaint.tracking_number}/reference-case",
                      {"solution": "", "outcome": "客户满意"}, content_type="application/json", headers=bearer(quality))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "solution"
    made = client.post(f"/api/complaints/{complaint.tracking_number}/reference-case",
                       {"solution": "全额退款", "outcome": "客户满意"}, content_type="application/json",
                       headers=bearer(quality))
    assert made.status_code == 201 and made.json()["tracking_number"] == complaint.tracking_number
