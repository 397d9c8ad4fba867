"""The review and the dashboard ask the database a fixed number of questions, however many complaints
there are (STYLE.md 8: assertNumQueries on lists and reports)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tousu.accounts.roles import Role
from tousu.reports.dashboard import build_dashboard
from tousu.reports.tests.helpers import HIGH_MEDIA, HIGH_SAFETY, LOW, MEDIUM, at, complaint, meet, review_of
from tousu.testing import make_department, make_user
from tousu.workflow.models import RootCause, Solution, Survey

pytestmark = pytest.mark.django_db
NOW = at(2026, 12, 3, 10, 0)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
REVIEW_QUERIES = 27
DASHBOARD_QUERIES = 9


def _add(n: int, start: int) -> None:
    by = make_user(Role.QUALITY)
    for i in range(start, start + n):
        text = (LOW, MEDIUM, HIGH_MEDIA, HIGH_SAFETY)[i % 4]
        c = complaint(text, received=at(2026, 11, 1 + i % 28, 9), phone=f"139{i:08d}", product=f"P{i % 3}",
                      region=f"R{i % 5}", lot=f"L{i}")
        meet(c, "acknowledge", at(2026, 11, 1 + i % 28, 10))
        Survey.objects.create(complaint=c, token=f"t{i}", sent_at=NOW, score=1 + i % 5, answered_at=NOW)
        RootCause.objects.create(complaint=c, category=f"C{i % 4}", whys=["为什么"], updated_by=by, updated_at=NOW)
        Solution.objects.create(complaint=c, measures="补发", owner=by, due_date=date(2026, 12, 1), status="approved",
                                proposed_by=by, proposed_at=NOW)


def _count(build) -> int:
    with CaptureQueriesContext(connection) as queries:
        build()
    return len(queries)


def test_the_review_asks_the_same_number_of_questions_for_four_or_forty_complaints(django_assert_num_queries):
    _add(4, 0)  # one of each kind: every section has something to list
    review_of(*NOVEMBER, now=NOW)  # the policy is parsed once per process; its version is read each time
    with django_assert_num_queries(REVIEW_QUERIES):
        review_of(*NOVEMBER, now=NOW)
    _add(36, 4)
    with django_assert_num_queries(REVIEW_QUERIES):
        review = review_of(*NOVEMBER, now=NOW)
    assert review["complaints"]["count"] == 40


def test_a_readers_scope_adds_no_question(django_assert_max_num_queries):
    _add(4, 0)
    department = make_department()
    manager = make_user(Role.MANAGER, department=department)
    from tousu.reports.drill import reader_scope

    review_of(*NOVEMBER, now=NOW)
    with django_assert_max_num_queries(REVIEW_QUERIES):  # (fewer: nothing of theirs to list)
        review_of(*NOVEMBER, now=NOW, visible=reader_scope(manager))


def test_the_dashboard_asks_the_same_number_of_questions_for_four_or_forty_complaints(django_assert_num_queries):
    _add(4, 0)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        build_dashboard(None, now=at(2026, 11, 29, 12))
    _add(36, 4)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        dashboard = build_dashboard(None, now=at(2026, 11, 29, 12))
    assert dashboard["open"]["count"] == 40


def test_the_pages_do_not_grow_with_the_complaints_either(client):
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    _add(4, 0)
    client.get("/reports/?from=2026-11-01&to=2026-11-30")
    small = _count(lambda: client.get("/reports/?from=2026-11-01&to=2026-11-30"))
    small_dashboard = _count(lambda: client.get("/dashboard/"))
    _add(36, 4)
    assert _count(lambda: client.get("/reports/?from=2026-11-01&to=2026-11-30")) == small
    assert _count(lambda: client.get("/dashboard/")) == small_dashboard
