"""Who is told: the department manager, the emergency-team leaders."""

from tousu.accounts.models import User
from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint


def manager_of(complaint: Complaint) -> list[User]:
    department = complaint.department
    if department is not None and department.manager_id:
        return [department.manager]
    return list(User.objects.filter(role=Role.MANAGER, is_active=True, department_id=complaint.department_id)) \
        if complaint.department_id else leaders()


def leaders() -> list[User]:
    return list(User.objects.filter(role=Role.LEADER, is_active=True))
