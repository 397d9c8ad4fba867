"""Who may see and touch which complaint (R-SEC-2), in one place for pages and the API alike."""

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints.models import Complaint
from tousu.complaints.tracking import normalise


class AccessDenied(PermissionError):
    pass


def visible_complaints(user: User) -> QuerySet[Complaint]:
    """A user sees their department's complaints, their own, and the unassigned pool if they handle
    complaints; roles with `view_all_departments` see everything."""
    complaints = Complaint.objects.all()
    if not user.is_authenticated or not user.is_active:
        return complaints.none()
    if user.can(Capability.VIEW_ALL_DEPARTMENTS):
        return complaints
    scope = Q(owner=user) | Q(first_owner=user)
    if user.department_id:
        scope |= Q(department_id=user.department_id)
    if user.can(Capability.HANDLE):
        scope |= Q(department__isnull=True, owner__isnull=True)
    return complaints.filter(scope)


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

