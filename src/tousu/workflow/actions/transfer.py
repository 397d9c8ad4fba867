"""首问负责 (R-WF-2): a complaint changes hands only by a recorded transfer with a target and a reason;
the first owner stays on the record."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
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
    if to_user is not None and to_user.pk == complaint.owner_id and (to_department is None
                                                                     or to_department.pk == complaint.department_id):
        errors.append(FieldError("to_user", _("this person already owns the complaint")))
    if not reason.strip():
        errors.append(FieldError("reason", _("a transfer needs a reason")))
    if complaint.status not in OPEN_STATES:
        errors.append(FieldError("status", _("a closed complaint cannot be transferred")))
    if errors:
        raise IntakeError(errors)
    department = to_department or (to_user.department if to_user is not None else None)
    with transaction.atomic():
        record = Transfer.objects.create(complaint=complaint, from_user_id=complaint.owner_id, to_user=to_user,
                                         to_department=department, reason=reason.strip(), by=by, at=now)
        before = {"owner": complaint.owner_id, "department": complaint.department_id}
        complaint.owner = to_user
        complaint.department = department
        Complaint.objects.filter(pk=complaint.pk).update(owner=to_user, department=department, updated_at=now)
        ComplaintEvent.objects.create(
            complaint=complaint, kind=EventKind.TRANSFERRED, actor=by, at=now, note=reason.strip(),
            data={"before": before, "after": {"owner": to_user.pk if to_user else None,
                                              "department": department.pk if department else None}})
        recipients = [to_user] if to_user else ([department.manager] if department and department.manager else [])
        enqueue(key=f"transfer:{record.pk}", kind="transfer", complaint=complaint, now=now, recipients=recipients,
                subject=_("Complaint %(number)s was transferred to you") % {"number": complaint.tracking_number},
                body=_("Reason: %(reason)s") % {"reason": reason.strip()}, webhooks=False)
    return record
