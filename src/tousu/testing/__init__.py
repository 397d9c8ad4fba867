"""Small explicit factories for tests (STYLE.md item 8): call them, don't pull fixtures in by name."""

from datetime import datetime
from itertools import count

from django.utils import timezone

from tousu.accounts.models import ApiToken, Department, User
from tousu.accounts.roles import Role
from tousu.complaints.choices import Source
from tousu.complaints.models import Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake.pipeline import record_complaint

_sequence = count(1)


def make_department(code: str = "", name: str = "") -> Department:
    n = next(_sequence)
    return Department.objects.create(code=code or f"dept{n}", name=name or f"部门{n}")


def make_user(role: str = Role.AGENT, *, department: Department | None = None, username: str = "",
              password: str = "pw-for-tests") -> User:
    username = username or f"{role}{next(_sequence)}"
    user = User.objects.create_user(username=username, password=password, role=role, department=department,
                                    email=f"{username}@example.com")
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def make_team(*, department_code: str = "", **usernames: str) -> dict:
    """A department with its manager, an agent and a specialist, plus a quality-department user and an
    emergency-team leader; keyed by role (and "department"). `agent="li"` names a user."""
    department = make_department(code=department_code)
    team: dict = {"department": department}
    for role in (Role.MANAGER, Role.AGENT, Role.SPECIALIST):
        team[role.value] = make_user(role, department=department, username=usernames.get(role.value, ""))
    for role in (Role.QUALITY, Role.LEADER):
        team[role.value] = make_user(role, username=usernames.get(role.value, ""))
    department.manager = team["manager"]
    department.save()
    return team


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {ApiToken.issue(user).key}"}


def make_complaint(*, by: User | None = None, now: datetime | None = None, source: str = Source.API,
                   **fields) -> Complaint:
    fields.setdefault("text", "买的电热水壶底座冒烟，要求退款")
    now = now or timezone.now()
    return record_complaint(validate_intake(fields, now=now), by=by, source=source, now=now)
