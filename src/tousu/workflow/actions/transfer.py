"""首问负责 (R-WF-2): a complaint changes hands only by a recorded transfer with a target and a reason;
the first owner stays on the record. A complaint is never left without an owner: one sent to a department
goes to the person on duty there, else to its manager."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import ChannelDuty, Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.notify.outbox import enqueue
from tousu.workflow.machine import OPEN_STATES
from tousu.workflow.models import Transfer


def transfer(complaint: Complaint, *, by: User, reason: str, now: datetime, to_user: User | None = None,
             to_department: Department | None = None) -> Transfer:
    if not by.can(Capability.TRANSFER):
        raise AccessDenied("this role may not transfer complaints")
    errors = []
    if to_user is None and to_department is None:
        errors.append(FieldError("to_user", _("name the person or the department who takes it over")))
    if to_user is not None and (not to_user.is_active or not to_user.can(Capability.HANDLE)):
        errors.append(FieldError("to_user", _("this person cannot handle complaints")))
    taker = to_user
    if taker is None and to_department is not None:
        taker = department_taker(to_department, complaint.channel)
        if taker is None:
            errors.append(FieldError("to_department", _("this department has no duty person or manager who could "
                                                        "take the complaint over")))
    department = to_department or (to_user.department if to_user is not None else None)
    if taker is not None and taker.pk == complaint.owner_id and (department is None
                                                                 or department.pk == complaint.department_id):
        errors.append(FieldError("to_user" if to_user is not None else "to_department",
                                 _("this person already owns the complaint")))
    if not reason.strip():
        errors.append(FieldError("reason", _("a transfer needs a reason")))
    if complaint.status not in OPEN_STATES:
        errors.append(FieldError("status", _("a closed complaint cannot be transferred")))
    if errors:
        raise IntakeError(errors)
    assert taker is not None  # a target is required above, and a department without a taker refused
    with transaction.atomic():
        record = Transfer.objects.create(complaint=complaint, from_user_id=complaint.owner_id, to_user=taker,
                                         to_department=department, reason=reason.strip(), by=by, at=now)
        before = {"owner": complaint.owner_id, "department": complaint.department_id}
        complaint.owner = taker
        complaint.department = department
        Complaint.objects.filter(pk=complaint.pk).update(owner=taker, department=department, updated_at=now)
        events.transferred(complaint.pk, by=by, at=now, reason=reason.strip(), before=before,
                           after={"owner": taker.pk, "department": department.pk if department else None})
        enqueue(key=f"transfer:{record.pk}", kind="transfer", complaint=complaint, now=now, recipients=[taker],
                subject=_("Complaint %(number)s was transferred to you") % {"number": complaint.tracking_number},
                body=_("Reason: %(reason)s") % {"reason": reason.strip()}, webhooks=False)
    return record


def department_taker(department: Department, channel: str) -> User | None:
    """Who owns a complaint sent to a department: the person on duty there (a channel duty of that
    department, or of an agent of it; the complaint's own channel first), else its manager — whoever of
    them may still handle complaints."""
    duties = (ChannelDuty.objects.select_related("agent")
              .filter(Q(department=department) | Q(department__isnull=True, agent__department=department))
              .order_by("pk"))
    on_duty = sorted(duties, key=lambda duty: duty.channel != channel)
    candidates = [duty.agent for duty in on_duty] + ([department.manager] if department.manager_id else [])
    return next((person for person in candidates if person.can(Capability.HANDLE)), None)
