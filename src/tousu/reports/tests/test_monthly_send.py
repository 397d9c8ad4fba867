"""Last month's review goes to the management list through the outbox, once per period."""

import pytest
from django.core import mail

from tousu.accounts.roles import Role
from tousu.notify.delivery import deliver_due
from tousu.notify.models import Notification
from tousu.reports.monthly import send_monthly_review
from tousu.reports.tests.helpers import HIGH_SAFETY, LOW, at, complaint
from tousu.testing import make_team, make_user

pytestmark = pytest.mark.django_db


def test_the_company_review_goes_to_quality_leaders_and_analysts_and_each_department_to_its_manager():
    team = make_team(department_code="kf")
    analyst, _admin = make_user(Role.ANALYST), make_user(Role.ADMIN)
    complaint(LOW, received=at(2026, 11, 2, 9), department=team["department"], phone="13900000501")
    complaint(HIGH_SAFETY, received=at(2026, 11, 3, 9), phone="13900000502")
    result = send_monthly_review(at(2026, 12, 1, 8))
    assert result == {"notifications": 4, "period": "2026-11"}
    rows = {n.key: n for n in Notification.objects.filter(kind="monthly_review")}
    company = {f"monthly-review:2026-11:all:email:{u.pk}" for u in (team["quality"], team["leader"], analyst)}
    assert set(rows) == company | {f"monthly-review:2026-11:kf:email:{team['manager'].pk}"}
    body = rows[next(iter(company))].body
    assert "复盘 2026-11-01 – 2026-11-30" in body and "投诉：2" in body
    assert "/reports/?from=2026-11-01&to=2026-11-30" in body
    department_body = rows[f"monthly-review:2026-11:kf:email:{team['manager'].pk}"].body
    assert "投诉：1" in department_body and "department=kf" in department_body


def test_it_is_sent_once_per_period_however_often_it_runs():
    team = make_team()
    assert send_monthly_review(at(2026, 12, 1, 8))["notifications"] == 3
    assert send_monthly_review(at(2026, 12, 1, 8))["notifications"] == 0
    make_user(Role.LEADER)  # joins later: the period was already sent
    assert send_monthly_review(at(2026, 12, 2, 8))["notifications"] == 0
    assert send_monthly_review(at(2027, 1, 1, 8)) == {"notifications": 3 + 1, "period": "2026-12"}
    deliver_due(at(2027, 1, 1, 8, 1))
    subjects = {m.subject for m in mail.outbox}
    assert {"投诉月度复盘 2026-11-01 – 2026-11-30", "投诉月度复盘 2026-12-01 – 2026-12-31"} <= subjects
    assert team["quality"].email in {address for m in mail.outbox for address in m.to}


def test_a_run_missed_for_more_than_a_week_sends_nothing_late():
    make_team()
    assert send_monthly_review(at(2026, 12, 8, 8)) == {"notifications": 0}
    assert not Notification.objects.filter(kind="monthly_review").exists()


def test_the_queue_runs_it_every_day_at_eight():
    from tousu.reports.tasks import send_monthly_review_periodically

    runs_at = send_monthly_review_periodically.task_class().validate_datetime
    assert runs_at(at(2026, 12, 1, 8).replace(tzinfo=None)) and runs_at(at(2026, 12, 15, 8).replace(tzinfo=None))
    assert not runs_at(at(2026, 12, 1, 9).replace(tzinfo=None))
