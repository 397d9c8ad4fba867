"""The case library (R-RP-3): a closed complaint marked as a reference case keeps how it was solved and
how it ended."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.models import ReferenceCase
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import FieldError, IntakeError


def reference_case_event(complaint: Complaint, case: ReferenceCase, *, by: User, now: datetime) -> ComplaintEvent:
    # A note whose data says what happened (codes, not a sentence): the history renders it.
    return events.reference_case_marked(complaint.pk, by=by, at=now, case=case.pk)


def mark_reference_case(complaint: Complaint, *, by: User, solution: str, outcome: str,
                        now: datetime) -> ReferenceCase:
    """Keep a closed complaint in the case library with its solution and outcome (both required)."""
    if not by.can(Capability.APPROVE):
        raise AccessDenied("only those who approve solutions mark reference cases")
    errors = []
    if complaint.status not in ENDED:
        errors.append(FieldError("status", _("only a closed complaint can be a reference case")))
    if not solution.strip():
        errors.append(FieldError("solution", _("say how the complaint was solved")))
    if not outcome.strip():
        errors.append(FieldError("outcome", _("say how it ended for the customer")))
    if ReferenceCase.objects.filter(complaint=complaint).exists():
        errors.append(FieldError("complaint", _("this complaint is a reference case already")))
    if errors:
        raise IntakeError(errors)
    try:
        with transaction.atomic():
            case = ReferenceCase.objects.create(complaint=complaint, solution=solution.strip(),
                                                outcome=outcome.strip(), marked_by=by, marked_at=now)
            reference_case_event(complaint, case, by=by, now=now)
    except IntegrityError:  # marked by someone else at the same moment
        raise IntakeError([FieldError("complaint", _("this complaint is a reference case already"))]) from None
    return case
