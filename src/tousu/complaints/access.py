"""Who may see and touch which complaint (R-SEC-2), in one place for pages and the API alike.

The reach comes from `tousu.accounts.roles` (role × capability × scope); everything that belongs to a
complaint (plans, incidents, solutions, attachments) is seen through `visible_complaints`, and import
jobs through their importer's reach.
"""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from tousu.accounts.models import User
from tousu.accounts.roles import Capability, Scope
from tousu.complaints.models import Complaint, ImportJob
from tousu.complaints.tracking import normalise
from tousu.workflow.models import EmergencyPlan


class AccessDenied(PermissionError):
    pass


def visible_complaints(user: User) -> QuerySet[Complaint]:
    """What the user's reach covers: their own complaints; with department reach also their department's;
    the unassigned pool if they handle complaints; with all reach everything."""
    complaints = Complaint.objects.all()
    if not user.is_authenticated:
        return complaints.none()
    reach = user.reach()
    if reach is None:
        return complaints.none()
    if reach == Scope.ALL:
        return complaints
    scope = Q(owner=user) | Q(first_owner=user)
    if reach == Scope.DEPARTMENT and user.department_id:
        scope |= Q(department_id=user.department_id)
    if user.can(Capability.HANDLE):
        scope |= Q(department__isnull=True, owner__isnull=True)
    return complaints.filter(scope)


def visible_plans(user: User) -> QuerySet[EmergencyPlan]:
    """Emergency plans: every one for those who lead emergencies; otherwise the plans of complaints they
    see and those whose team they are on."""
    plans = EmergencyPlan.objects.all()
    if not user.is_authenticated or user.reach() is None:
        return plans.none()
    if user.can(Capability.LEAD_EMERGENCY):
        return plans
    return plans.filter(Q(complaints__in=visible_complaints(user)) | Q(members__user=user)).distinct()


def visible_import_jobs(user: User) -> QuerySet[ImportJob]:
    """Import jobs, for those who import: their own; with department reach their department's; with all
    reach every one. A job's report names rows and tracking numbers, so it is not for everyone."""
    jobs = ImportJob.objects.all()
    if not user.is_authenticated or not user.can(Capability.IMPORT):
        return jobs.none()
    reach = user.reach()
    if reach == Scope.ALL:
        return jobs
    scope = Q(by=user)
    if reach == Scope.DEPARTMENT and user.department_id:
        scope |= Q(by__department_id=user.department_id)
    return jobs.filter(scope)


def access_complaint(user: User, tracking_number: str, *, write: bool = False) -> Complaint:
    """The complaint if the user may see it (and work on it when `write`); 404 hides what they may not see."""
    complaint = (
        visible_complaints(user)
        .select_related("owner", "first_owner", "department", "recorded_by")
        .filter(tracking_number=normalise(tracking_number))
        .first()
    )
    if complaint is None:
        raise Http404("complaint not found")
    if write and not user.can(Capability.HANDLE):
        raise AccessDenied("this role may not change complaints")
    return complaint


def mask_phone(phone: str) -> str:
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def with_next_due(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """Annotate `next_due`: the earliest running stage clock (not met, not paused), for lists and filters."""
    from tousu.workflow.models import Deadline

    running = (Deadline.objects.filter(complaint=OuterRef("pk"), met_at__isnull=True, paused_at__isnull=True)
               .order_by("due_at").values("due_at")[:1])
    return complaints.annotate(next_due=Subquery(running))

