"""Transfers, solutions and approvals, root cause, emergency plan and the satisfaction survey."""

from datetime import date, datetime, timedelta

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.access import AccessDenied
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.validation import IntakeError
from tousu.notify.models import Notification
from tousu.testing import make_complaint, make_department, make_team, make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.actions import approvals, emergency
from tousu.workflow.actions.feedback import answer_survey
from tousu.workflow.actions.root_cause import record_root_cause
from tousu.workflow.actions.transfer import transfer
from tousu.workflow.actions.transitions import perform, start_investigation
from tousu.workflow.models import EmergencyPlan, Survey

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people():
    return {**make_team(), "other_manager": make_user(Role.MANAGER, department=make_department())}


def _investigating(people, text="快递丢了，要求赔偿", **fields):
    complaint = make_complaint(by=people["agent"], text=text, now=NOW, received_at=NOW, **fields)
    start_investigation(complaint, by=people["agent"], now=NOW)
    return complaint


def _propose(complaint, by, amount):
    data = approvals.SolutionInput(measures="补发并赔偿", owner=by, due_date=date(2026, 11, 10),
                                   expected_effect="客户满意", compensation=amount)
    return approvals.propose_solution(complaint, data, by=by, now=NOW)


# ---- transfers (首问负责) -------------------------------------------------------------------------

def test_a_transfer_needs_a_target_and_a_reason_and_keeps_the_first_owner(people):
    complaint = _investigating(people)
    with pytest.raises(IntakeError) as error:
        transfer(complaint, by=people["agent"], reason="", now=NOW)
    assert {e.field for e in error.value.errors} == {"to_user", "reason"}
    transfer(complaint, by=people["agent"], to_user=people["specialist"], reason="需专员调查", now=NOW)
    complaint.refresh_from_db()
    assert complaint.owner == people["specialist"] and complaint.first_owner == people["agent"]
    event = complaint.events.get(kind="transferred")
    assert event.data["before"]["owner"] == people["agent"].pk and event.note == "需专员调查"
    assert Notification.objects.filter(kind="transfer", recipient=people["specialist"]).exists()


def test_nobody_bounces_a_complaint_to_an_analyst(people):
    complaint = _investigating(people)
    with pytest.raises(IntakeError, match="cannot handle"):
        transfer(complaint, by=people["agent"], to_user=make_user(Role.ANALYST), reason="x", now=NOW)


# ---- solutions and approvals -------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "chain"), [
    ("300", ["specialist"]), ("500", ["specialist"]), ("500.01", ["manager"]), ("5000", ["manager"]),
    ("5000.01", ["quality", "leader"]),
])
def test_the_chain_follows_the_amount(people, amount, chain):
    complaint = _investigating(people, text="想咨询一下退货流程")
    solution = _propose(complaint, people["agent"], amount)
    assert [s.role for s in solution.steps.all()] == chain
    complaint.refresh_from_db()
    assert complaint.status == "solution_proposed"


def test_high_risk_needs_the_manager_and_quality_whatever_the_amount(people):
    complaint = _investigating(people, text="孩子被热水壶烫伤住院了")
    solution = _propose(complaint, people["agent"], "100")
    assert [s.role for s in solution.steps.all()] == ["specialist", "manager", "quality"]


def test_each_step_is_decided_in_turn_and_the_last_approves(people):
    complaint = _investigating(people, text="想咨询一下退货流程")
    solution = _propose(complaint, people["agent"], "8000")
    with pytest.raises(AccessDenied):
        approvals.decide(solution, by=people["manager"], approve=True, reason="", now=NOW)  # quality's step
    approvals.decide(solution, by=people["quality"], approve=True, reason="", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "solution_proposed"
    approvals.decide(solution, by=people["leader"], approve=True, reason="同意", now=NOW)
    complaint.refresh_from_db()
    solution.refresh_from_db()
    assert complaint.status == "approved" and solution.status == "approved"
    assert complaint.deadlines.get(stage="approval").met_at == NOW
    assert [e.data["role"] for e in complaint.events.filter(kind="approval").order_by("id")] == ["quality", "leader"]


def test_a_rejection_needs_a_reason_and_returns_the_complaint_to_investigation(people):
    complaint = _investigating(people)
    solution = _propose(complaint, people["agent"], "1000")
    with pytest.raises(IntakeError, match="reason"):
        approvals.decide(solution, by=people["manager"], approve=False, reason=" ", now=NOW)
    approvals.decide(solution, by=people["manager"], approve=False, reason="赔偿金额过高", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "investigating"
    assert complaint.deadlines.filter(stage="investigation", met_at__isnull=True).exists()
    assert Notification.objects.filter(kind="solution_rejected", recipient=people["agent"]).exists()


def test_nobody_approves_their_own_solution_or_another_departments(people):
    complaint = _investigating(people)
    solution = _propose(complaint, people["manager"], "1000")
    with pytest.raises(AccessDenied):
        approvals.decide(solution, by=people["manager"], approve=True, reason="", now=NOW)
    with pytest.raises(AccessDenied):
        approvals.decide(solution, by=people["other_manager"], approve=True, reason="", now=NOW)
    with pytest.raises(AccessDenied):  # a higher role does not sign a lower level (separation of duties)
        approvals.decide(solution, by=people["quality"], approve=True, reason="", now=NOW)
    colleague = make_user(Role.MANAGER, department=people["manager"].department)
    approvals.decide(solution, by=colleague, approve=True, reason="", now=NOW)


def test_a_bad_solution_names_its_fields(people):
    complaint = _investigating(people)
    data = approvals.SolutionInput(measures=" ", owner=None, due_date=date(2026, 1, 1), compensation="很多")
    with pytest.raises(IntakeError) as error:
        approvals.propose_solution(complaint, data, by=people["agent"], now=NOW)
    assert {e.field for e in error.value.errors} == {"measures", "owner", "due_date", "compensation"}
    assert not complaint.solutions.exists()


# ---- root cause ------------------------------------------------------------------------------

def test_a_root_cause_has_a_category_a_why_chain_and_evidence(people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    complaint = _investigating(people)
    photo = add_attachment(complaint, SimpleUploadedFile("p.jpg", b"\xff\xd8\xffjpeg"), by=people["agent"], now=NOW)
    cause = record_root_cause(complaint, by=people["specialist"], category="包装运输",
                              whys=["包裹破损", "纸箱强度不足", "供应商换料未通知"], now=NOW,
                              responsible_department=people["department"], responsible_person=people["agent"],
                              evidence_ids=[photo.pk])
    assert cause.whys[-1] == "供应商换料未通知" and list(cause.evidence.all()) == [photo]
    with pytest.raises(IntakeError) as error:
        record_root_cause(complaint, by=people["specialist"], category="天气", whys=[], now=NOW, evidence_ids=[999])
    assert {e.field for e in error.value.errors} == {"category", "whys", "evidence"}


# ---- emergency plan --------------------------------------------------------------------------

def test_an_emergency_complaint_proposes_a_plan_and_tells_the_leaders(people):
    complaint = make_complaint(by=people["agent"], text="孩子被热水壶烫伤住院了", now=NOW, received_at=NOW)
    plan = EmergencyPlan.objects.get(complaints=complaint)
    assert plan.state == "proposed" and plan.golden_due_at == datetime(2026, 11, 2, 12, 0, tzinfo=SHANGHAI)
    assert Notification.objects.filter(kind="emergency", recipient=people["leader"]).exists()


def test_the_leader_runs_the_plan_from_activation_to_review(people):
    complaint = make_complaint(by=people["agent"], text="孩子被热水壶烫伤住院了", now=NOW, received_at=NOW)
    plan = EmergencyPlan.objects.get(complaints=complaint)
    with pytest.raises(AccessDenied):
        emergency.activate(plan, by=people["manager"], now=NOW)
    emergency.activate(plan, by=people["leader"], now=NOW, team=[(people["agent"], "on_site"),
                                                                 (people["quality"], "records")])
    assert set(plan.members.values_list("team_role", flat=True)) == {"leader", "on_site", "records"}
    emergency.report(plan, by=people["agent"], kind="action", text="已上门慰问并封存同批次产品", now=NOW)
    other = make_complaint(by=people["agent"], text="同款热水壶底座发烫", now=NOW)
    emergency.link(plan, other, by=people["leader"], now=NOW)
    with pytest.raises(IntakeError, match="closing_review"):
        emergency.close_plan(plan, by=people["leader"], review="", now=NOW)
    emergency.close_plan(plan, by=people["leader"], review="批次召回，供应商整改", now=NOW)
    assert plan.state == "closed" and plan.complaints.count() == 2
    assert list(plan.log.values_list("kind", flat=True)) == ["state", "state", "action", "action", "state"]


# ---- satisfaction survey ---------------------------------------------------------------------

def _closed(people, email="kehu@example.com"):
    complaint = make_complaint(by=people["agent"], text="想咨询一下退货流程", email=email, now=NOW, received_at=NOW)
    start_investigation(complaint, by=people["agent"], now=NOW)
    solution = _propose(complaint, people["agent"], "0")
    approvals.decide(solution, by=people["specialist"], approve=True, reason="", now=NOW)
    for action in ("carry_out", "close"):
        perform(complaint, action, by=people["agent"], now=NOW)
    return complaint


def test_closing_sends_the_customer_a_survey_link(people):
    complaint = _closed(people)
    survey = Survey.objects.get(complaint=complaint)
    mail = Notification.objects.get(kind="survey")
    assert mail.address == "kehu@example.com" and survey.token in mail.body


def test_an_unsatisfied_answer_reopens_and_tells_the_manager(people):
    complaint = _closed(people)
    survey = Survey.objects.get(complaint=complaint)
    answer_survey(survey.token, score="2", comment="赔偿太少", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "investigating"
    assert Notification.objects.filter(kind="survey_unsatisfied", recipient=people["manager"]).exists()
    with pytest.raises(IntakeError, match="already answered"):
        answer_survey(survey.token, score="5", comment="", now=NOW)


def test_a_satisfied_answer_changes_nothing_but_the_record(people):
    complaint = _closed(people)
    answer_survey(Survey.objects.get(complaint=complaint).token, score=5, comment="很好", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "closed" and complaint.events.filter(kind="survey_answered").exists()


@pytest.mark.parametrize("score", ["0", "6", "", "好"])
def test_a_score_outside_one_to_five_is_refused(people, score):
    complaint = _closed(people)
    with pytest.raises(IntakeError, match="1 to 5"):
        answer_survey(Survey.objects.get(complaint=complaint).token, score=score, comment="", now=NOW)


def test_a_new_complaint_about_the_same_order_reopens_the_closed_one(people):
    complaint = _closed(people)
    make_complaint(by=people["agent"], text="上次的问题又出现了", email="kehu@example.com",
                   order_no=complaint.order_no or "", product="", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "closed"  # no order or product in common: a different matter
    make_complaint(by=people["agent"], text="上次退货的热水壶又坏了", email="kehu@example.com", product="热水壶", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "closed"
    from tousu.complaints.models import Complaint

    Complaint.objects.filter(pk=complaint.pk).update(product="热水壶")
    make_complaint(by=people["agent"], text="热水壶还是坏的", email="kehu@example.com", product="热水壶", now=NOW)
    complaint.refresh_from_db()
    assert complaint.status == "investigating"
    reopened = complaint.events.get(kind="status_changed", data__action="reopen")
    assert reopened.actor is None and "热水壶还是坏的" not in reopened.note


def test_imported_emergencies_get_their_plans_and_clocks_too(people):
    import io

    from tousu.intake.imports import import_file

    content = "text\n孩子被热水壶烫伤住院了\n想咨询一下退货流程\n电动车电池起火，家里烧了\n".encode()
    report = import_file(io.BytesIO(content), "x.csv", by=None, now=NOW)
    assert report.created == 3
    plans = EmergencyPlan.objects.all()
    assert plans.count() == 2 and all(p.complaints.count() == 1 and p.state == "proposed" for p in plans)
    assert Notification.objects.filter(kind="emergency", recipient=people["leader"]).count() == 2
    from tousu.complaints.models import Complaint

    assert all(c.deadlines.count() == 3 for c in Complaint.objects.all())
    assert {c.deadlines.get(stage="acknowledge").due_at - c.received_at for c in Complaint.objects.filter(emergency=True)} \
        == {timedelta(hours=2)}
