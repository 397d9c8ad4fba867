"""The review and the dashboard are for roles with `view_reports`; a manager sees their department."""

import pytest

from tousu.accounts.roles import Role
from tousu.reports.tests.helpers import LOW, at, complaint
from tousu.testing import bearer, make_department, make_user

pytestmark = pytest.mark.django_db
PAGES = ["/reports/?from=2026-11-01&to=2026-11-30", "/reports/print/?from=2026-11-01&to=2026-11-30",
         "/reports/review.xlsx?from=2026-11-01&to=2026-11-30", "/reports/complaints/?from=2026-11-01&to=2026-11-30",
         "/dashboard/"]


@pytest.mark.parametrize("page", PAGES)
def test_an_outsider_is_sent_to_the_login_page(client, page):
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST])
@pytest.mark.parametrize("page", PAGES)
def test_roles_without_view_reports_are_refused(client, role, page):
    client.force_login(make_user(role))
    assert client.get(page).status_code == 403


@pytest.mark.parametrize("role", [Role.MANAGER, Role.QUALITY, Role.LEADER, Role.ANALYST])
@pytest.mark.parametrize("page", PAGES)
def test_managers_quality_leaders_and_analysts_may_read_them(client, role, page):
    client.force_login(make_user(role, department=make_department()))
    assert client.get(page).status_code == 200


def test_the_api_refuses_an_agent_and_wants_a_token(client):
    assert client.get("/api/reports?from=2026-11-01&to=2026-11-30").status_code == 401
    agent = client.get("/api/reports?from=2026-11-01&to=2026-11-30", headers=bearer(make_user(Role.AGENT)))
    assert agent.status_code == 403 and agent.json()["errors"][0]["field"] == "__all__"
    assert client.get("/api/reports", headers=bearer(make_user(Role.ANALYST))).status_code == 200


def test_a_manager_counts_only_the_complaints_of_their_department(client):
    mine, theirs = make_department("kf"), make_department("zl")
    complaint(LOW, received=at(2026, 11, 2, 9), department=mine, phone="13900000301")
    complaint(LOW, received=at(2026, 11, 3, 9), department=theirs, phone="13900000302")
    complaint(LOW, received=at(2026, 11, 4, 9), department=theirs, phone="13900000303")
    manager, analyst = make_user(Role.MANAGER, department=mine), make_user(Role.ANALYST)
    query = "/api/reports?from=2026-11-01&to=2026-11-30"
    assert client.get(query, headers=bearer(manager)).json()["complaints"]["count"] == 1
    assert client.get(query, headers=bearer(analyst)).json()["complaints"]["count"] == 3
    assert client.get(query + "&department=zl", headers=bearer(manager)).json()["complaints"]["count"] == 0
    client.force_login(manager)
    listed = client.get("/reports/complaints/?from=2026-11-01&to=2026-11-30")
    assert listed.context["page"].paginator.count == 1


def test_a_bad_period_is_named_and_builds_nothing(client):
    analyst = make_user(Role.ANALYST)
    response = client.get("/api/reports?from=2026-11-31&to=2026-11-30", headers=bearer(analyst))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "from"
    response = client.get("/api/reports?from=2026-11-30&to=2026-11-01", headers=bearer(analyst))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "to"
    response = client.get("/api/reports?from=2026-11-01&to=2026-11-30&department=nope", headers=bearer(analyst))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "department"
    client.force_login(analyst)
    assert client.get("/reports/?from=2026-11-01").status_code == 422
