"""The monthly review mailed to the management list through the outbox (R-RP-2), once per period:
the whole company's to the roles that see every department (quality, leaders, analysts), each
department's own to its managers. The outbox key names the period, so a second run (another worker, a
restart, the next day's catch-up) finds it there and sends nothing."""

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Role
from tousu.notify.models import Notification
from tousu.notify.outbox import enqueue
from tousu.reports.cohort import Cohort
from tousu.reports.period import Period, previous_month
from tousu.reports.review import build_review
from tousu.reports.summary import summary_lines
from tousu.timeline import SHANGHAI

# The management list: who reads the company's review (they see every department); the administrator
# configures the system and is not on it.
COMPANY_ROLES = (Role.QUALITY, Role.LEADER, Role.ANALYST)
CATCH_UP_DAYS = 7  # a missed first-of-month run is made up within the first week, not later


def period_key(period: Period, department: str = "") -> str:
    return f"monthly-review:{period.key}:{department or 'all'}"


def _sent(key: str) -> bool:
    return Notification.objects.filter(key__startswith=f"{key}:").exists()


def _link(period: Period, department: str) -> str:
    params = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if department:
        params["department"] = department
    return f"{settings.TOUSU_BASE_URL.rstrip('/')}{reverse('reports:report')}?{urlencode(params)}"


def _send(period: Period, department: str, recipients: list[User], *, now: datetime) -> int:
    key = period_key(period, department)
    if not recipients or _sent(key):
        return 0
    review = build_review(Cohort(period, department), now=now)
    body = "\n".join([*summary_lines(review), "", _("The whole review: %(link)s") % {"link": _link(period, department)}])
    subject = _("Complaint review %(first)s – %(last)s") % {"first": period.first, "last": period.last}
    if review["period"]["department_name"]:
        subject += f" · {review['period']['department_name']}"
    return enqueue(key=key, kind="monthly_review", subject=subject, body=body, recipients=recipients, now=now,
                   webhooks=False)


def send_monthly_review(now: datetime, period: Period | None = None) -> dict:
    """Put last month's review in the outbox for the management list (nothing if it is already there)."""
    today = now.astimezone(SHANGHAI).date()
    if period is None:
        if today.day > CATCH_UP_DAYS:
            return {"notifications": 0}
        period = previous_month(today)
    company = list(User.objects.filter(role__in=COMPANY_ROLES, is_active=True).exclude(email=""))
    sent = _send(period, "", company, now=now)
    managers: dict[str, dict[int, User]] = {}
    for department in Department.objects.select_related("manager"):
        if department.manager_id and department.manager.is_active:
            managers.setdefault(department.code, {})[department.manager_id] = department.manager
    for user in User.objects.filter(Q(role=Role.MANAGER), is_active=True, department__isnull=False).select_related(
            "department"):
        managers.setdefault(user.department.code, {})[user.pk] = user
    for code, people in sorted(managers.items()):
        sent += _send(period, code, list(people.values()), now=now)
    return {"notifications": sent, "period": period.key}
