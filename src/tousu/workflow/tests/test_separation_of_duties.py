"""Separation of duties (R-WF-5, seed 002): each level of an approval chain is signed by a different
person holding that level's role, and the proposer never signs. The first two tests are the issue's
two reports."""

from datetime import date, datetime

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.access import AccessDenied
from tousu.testing import make_complaint, make_team, make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.actions import approvals
from tousu.workflow.actions.transitions import start_investigation

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def people():
    return make_team()


def _solution(people, amount, text="孩子被热水壶烫伤住院了", by=None):
    by = by or people["specialist"]
    complaint = make_complaint(by=people["agent"], text=text, now=NOW, received_at=NOW)
    start_investigation(complaint, by=people["agent"], now=NOW)
    data = approvals.SolutionInput(measures="赔偿医药费", owner=by, due_date=date(2026, 11, 10), compensation=amount)
    return approvals.propose_solution(complaint, data, by=by, now=NOW)


def _pending_role(solution):
    step = approvals.current_step(solution)
    return step.role if step else None


def test_one_leader_cannot_sign_every_level_of_a_20000_yuan_chain(people):
    solution = _solution(people, "20000")
    assert [s.role for s in solution.steps.all()] == ["manager", "quality", "leader"]
    with pytest.raises(AccessDenied, match="Department manager"):
        approvals.decide(solution, by=people["leader"], approve=True, reason="", now=NOW)
    assert _pending_role(solution) == "manager"
    assert not solution.steps.exclude(decision="pending").exists()


def test_quality_cannot_sign_the_managers_level_and_then_its_own(people):
    solution = _solution(people, "20000")
    with pytest.raises(AccessDenied):
        approvals.decide(solution, by=people["quality"], approve=True, reason="", now=NOW)
    approvals.decide(solution, by=people["manager"], approve=True, reason="", now=NOW)
    approvals.decide(solution, by=people["quality"], approve=True, reason="", now=NOW)
    assert _pending_role(solution) == "leader"


def test_three_different_people_holding_the_three_roles_approve_the_chain(people):
    solution = _solution(people, "20000")
    for role in ("manager", "quality", "leader"):
        approvals.decide(solution, by=people[role], approve=True, reason="同意", now=NOW)
    solution.refresh_from_db()
    assert solution.status == "approved"
    signers = [s.decided_by_id for s in solution.steps.order_by("order")]
    assert signers == [people["manager"].pk, people["quality"].pk, people["leader"].pk]


def test_a_person_holding_two_levels_roles_over_time_still_signs_only_one(people):
    # A manager signs the first level and is then made a quality user: the second level needs someone else.
    solution = _solution(people, "20000")
    manager = people["manager"]
    approvals.decide(solution, by=manager, approve=True, reason="", now=NOW)
    manager.role = Role.QUALITY
    manager.save()
    with pytest.raises(AccessDenied, match="another level"):
        approvals.decide(solution, by=manager, approve=True, reason="", now=NOW)
    approvals.decide(solution, by=people["quality"], approve=True, reason="", now=NOW)


def test_the_proposer_never_signs_even_holding_the_steps_role(people):
    proposer = people["specialist"]
    solution = _solution(people, "100", text="想咨询一下退货流程", by=proposer)
    assert [s.role for s in solution.steps.all()] == ["specialist"]
    with pytest.raises(AccessDenied, match="proposed"):
        approvals.decide(solution, by=proposer, approve=True, reason="", now=NOW)
    approvals.decide(solution, by=make_user(Role.SPECIALIST, department=people["department"]), approve=True,
                     reason="", now=NOW)
    solution.refresh_from_db()
    assert solution.status == "approved"


def test_the_page_offers_the_decision_only_to_someone_who_may_sign(client, people):
    solution = _solution(people, "20000")
    url = f"/solutions/{solution.pk}/decision/"
    page = f"/complaints/{solution.complaint.tracking_number}/"
    client.force_login(people["leader"])
    assert url not in client.get(page).content.decode()
    client.force_login(people["manager"])
    assert url in client.get(page).content.decode()
