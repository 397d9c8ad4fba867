"""R-WF-6: cause category (from the policy), a 5-Why chain, responsible department and person, evidence."""

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Capability
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.workflow.models import RootCause


def record_root_cause(complaint: Complaint, *, by: User, category: str, whys: Sequence[str], now: datetime,
                      responsible_department: Department | None = None, responsible_person: User | None = None,
                      evidence_ids: Sequence[int] = ()) -> RootCause:
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not record root causes")
    _version, policy = active_policy()
    categories = policy.workflow.cause_categories
    chain = [w.strip() for w in whys if w and w.strip()]
    errors = []
    if category not in categories:
        errors.append(FieldError("category", _("choose one of: %(list)s") % {"list": "、".join(categories)}))
    if not 1 <= len(chain) <= 5:
        errors.append(FieldError("whys", _("give one to five answers to “why?”")))
    attachments = list(complaint.attachments.filter(pk__in=list(evidence_ids)))
    if len(attachments) != len(set(evidence_ids)):
        errors.append(FieldError("evidence", _("evidence must be attachments of this complaint")))
    if errors:
        raise IntakeError(errors)
    with transaction.atomic():
        cause, _created = RootCause.objects.update_or_create(complaint=complaint, defaults={
            "category": category, "whys": chain, "responsible_department": responsible_department,
            "responsible_person": responsible_person, "updated_by": by, "updated_at": now})
        cause.evidence.set(attachments)
        events.root_cause(complaint.pk, by=by, at=now, whys=chain, category=category,
                          department=responsible_department.pk if responsible_department else None,
                          person=responsible_person.pk if responsible_person else None,
                          evidence=[a.pk for a in attachments])
    return cause
