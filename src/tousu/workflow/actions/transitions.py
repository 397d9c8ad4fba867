"""Every status change goes through `perform` (R-WF-1): the table in `workflow.machine` decides what is
allowed and which stage clocks stop and start; the event is written in the same transaction."""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.workflow.actions.deadlines import meet_stages, resume, start_stages
from tousu.workflow.actions.survey import send_survey
from tousu.workflow.machine import PAUSABLE, TRANSITIONS, Action, State, TransitionError, check
from tousu.workflow.models import EmergencyPlan


def perform(complaint: Complaint, action: Action | str, *, by: User | None, now: datetime, reason: str = "",
            system: bool = False) -> Complaint:
    """Take `action` on the complaint. `system` is for the approval chain and the survey, which take
    the actions people cannot take directly."""
    try:
        action = Action(action)
    except ValueError:
        raise IntakeError([FieldError("action", _("unknown action"))]) from None
    transition = TRANSITIONS[action]
    if not system:
        if by is None or not by.can(transition.capability):
            raise AccessDenied(f"this role may not {action.value}")
        if not transition.direct:
            raise IntakeError([FieldError("action", _("this step is taken through the approval chain"))])
    try:
        check(action, complaint.status)
    except TransitionError:
        raise IntakeError([FieldError("status", _("not possible while the complaint is %(status)s")
                                      % {"status": complaint.get_status_display()})]) from None
    if transition.needs_reason and not reason.strip():
        raise IntakeError([FieldError("reason", _("this step needs a reason"))])
    if transition.target is State.CLOSED and complaint.emergency_plans.filter(
            state__in=(EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE)).exists():
        raise IntakeError([FieldError("status", _("an emergency plan for this complaint is still open: the "
                                                  "emergency-team leader closes or declines it first"))])
    before = complaint.status
    with transaction.atomic():
        if complaint.waiting_since is not None and transition.target not in PAUSABLE:
            # Leaving the states in which one waits for the customer: the clocks run again first.
            resume(complaint, by=by, now=now, note=_("resumed by the next step"))
        values = {"status": transition.target.value, "updated_at": now}
        if transition.target is State.CLOSED:
            values["closed_at"] = now
        # The status in the WHERE makes two people acting at once safe: only the first one moves it.
        if not Complaint.objects.filter(pk=complaint.pk, status=before).update(**values):
            raise IntakeError([FieldError("status", _("the complaint was changed meanwhile; reload it"))])
        for name, value in values.items():
            setattr(complaint, name, value)
        meet_stages(complaint, transition.meets, now=now)
        start_stages(complaint, transition.starts, start=now)
        events.status_changed(complaint.pk, by=by, at=now, reason=reason.strip(), action=action.value, before=before,
                              after=transition.target.value)
        if transition.target is State.CLOSED:
            send_survey(complaint, now=now)
    return complaint


def acknowledge(complaint: Complaint, *, by: User, now: datetime) -> Complaint:
    return perform(complaint, Action.ACKNOWLEDGE, by=by, now=now)


def start_investigation(complaint: Complaint, *, by: User, now: datetime) -> Complaint:
    return perform(complaint, Action.START_INVESTIGATION, by=by, now=now)


def close(complaint: Complaint, *, by: User, now: datetime, reason: str = "") -> Complaint:
    return perform(complaint, Action.CLOSE, by=by, now=now, reason=reason)


def reopen(complaint: Complaint, *, by: User | None, now: datetime, reason: str, system: bool = False) -> Complaint:
    return perform(complaint, Action.REOPEN, by=by, now=now, reason=reason, system=system)
