"""List-like pages ask the database the same number of questions whatever their rows: the emergencies page
(plans and mass-incident warnings), a plan's page (its timeline, team and complaints), the complaint page
(history, clocks, solutions, attachments) and the complaints behind a report figure."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.accounts.roles import Role
from tousu.assessments.models import Incident
from tousu.testing import make_complaint, make_team, make_user
from tousu.workflow.actions import approvals, emergency
from tousu.workflow.actions.transitions import perform
from tousu.workflow.models import EmergencyPlan

pytestmark = pytest.mark.django_db


def _count(client, url: str) -> int:
    client.get(url)  # warm caches (policy, calendar, session) that every page reads once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _plans(count: int, start: int) -> None:
    now = timezone.now()
    for i in range(start, start + count):
        plan = EmergencyPlan.objects.create(title=f"预案 {i}", proposed_at=now - timedelta(minutes=i),
                                            golden_due_at=now + timedelta(hours=2))
        Incident.objects.create(key="product", value=f"产品 {i}", opened_at=now, count_at_open=5, expected=1.0,
                                emergency_plan=plan)


def test_the_emergencies_page_does_not_grow_with_plans_or_incidents(client):
    team = make_team()
    client.force_login(team["leader"])
    _plans(2, 0)
    few = _count(client, "/emergencies/")
    _plans(30, 2)
    assert _count(client, "/emergencies/") == few
    assert _count(client, "/emergencies/?state=proposed&incident_state=open") == few


def test_a_plans_page_does_not_grow_with_its_timeline_team_or_complaints(client):
    team = make_team()
    first = make_complaint(by=team["agent"], text="孩子被热水壶烫伤住院了")
    plan = EmergencyPlan.objects.get(complaints=first)
    leader, now = team["leader"], timezone.now()
    emergency.activate(plan, by=leader, now=now, team=[(team["agent"], "on_site")])
    client.force_login(leader)
    few = _count(client, f"/emergencies/{plan.pk}/")
    for i in range(8):
        emergency.report(plan, by=leader, kind="progress", text=f"进展 {i}", now=now)
        emergency.link(plan, make_complaint(by=team["agent"], text=f"热水壶爆炸 {i}"), by=leader, now=now)
        emergency.add_members(plan, by=leader, now=now, team=[(make_user(Role.SPECIALIST,
                                                                         department=team["department"]), "records")])
    assert _count(client, f"/emergencies/{plan.pk}/") == few


def _reject_and_propose_again(complaint, team, round_: int) -> None:
    now = timezone.now()
    solution = complaint.solutions.get(status="pending")
    approvals.decide(solution, by=team["specialist"], approve=False, reason=f"不够 {round_}", now=now)
    complaint.refresh_from_db()
    approvals.propose_solution(complaint, approvals.SolutionInput(measures=f"补发 {round_}", owner=team["agent"],
                                                                  due_date=date(2030, 1, 1)), by=team["agent"], now=now)


def test_the_complaint_page_does_not_grow_with_its_history_clocks_or_solutions(client):
    team = make_team()
    agent, now = team["agent"], timezone.now()
    complaint = make_complaint(by=agent, text="想咨询一下退货流程")
    perform(complaint, "start_investigation", by=agent, now=now)
    approvals.propose_solution(complaint, approvals.SolutionInput(measures="补发", owner=agent,
                                                                  due_date=date(2030, 1, 1)), by=agent, now=now)
    _reject_and_propose_again(complaint, team, 0)
    client.force_login(team["manager"])
    url = f"/complaints/{complaint.tracking_number}/"
    few = _count(client, url)
    for round_ in range(1, 5):  # more solutions, rejections, clocks and history
        _reject_and_propose_again(complaint, team, round_)
    assert complaint.solutions.count() == 6 and complaint.deadlines.count() > 10
    assert _count(client, url) == few


def test_the_complaints_behind_a_report_figure_do_not_grow_with_the_rows(client):
    team = make_team()
    for i in range(2):
        make_complaint(by=team["agent"], text=f"快递丢了 {i}")
    client.force_login(make_user(Role.ANALYST))
    today = timezone.localdate()
    url = f"/reports/complaints/?from={today.replace(day=1)}&to={today}"
    few = _count(client, url)
    for i in range(25):
        make_complaint(by=team["agent"], text=f"宽带断了 {i}")
    assert _count(client, url) == few
