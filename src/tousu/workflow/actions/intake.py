"""What the workflow does when a complaint arrives: start its stage clocks, propose the emergency plan,
and reopen a recently closed complaint of the same customer about the same matter (R-WF-1)."""

from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent, any_of, same_customer
from tousu.workflow.actions.deadlines import rules, start_stages
from tousu.workflow.actions.emergency import propose_emergency
from tousu.workflow.actions.repeats import link_repeat
from tousu.workflow.machine import INTAKE_STAGES


def after_intake(complaint: Complaint, *, now: datetime) -> None:
    from tousu.assessments.actions.incidents import link_to_open_incidents

    link_to_open_incidents(complaint)
    repeat = link_repeat(complaint, now=now)
    if repeat is None or not repeat.merged:  # a merged repeat runs on the first complaint's clocks
        start_stages(complaint, INTAKE_STAGES, start=complaint.received_at)
    if complaint.emergency:
        propose_emergency(complaint, now=now)
    reopen_same_matter(complaint, now=now)


def same_matter(complaint: Complaint, *, now: datetime) -> Complaint | None:
    """The customer's complaint closed within the policy's window about the same order or product."""
    limits, _calendar = rules()
    customer = same_customer(complaint)
    matter = any_of(order_no=complaint.order_no, product=complaint.product)
    if not customer or not matter or not limits.reopen_window_days:
        return None
    since = now - timedelta(days=limits.reopen_window_days)
    return (Complaint.objects.filter(customer).filter(matter).filter(status="closed", closed_at__gte=since)
            .exclude(pk=complaint.pk).order_by("-closed_at").first())


def reopen_same_matter(complaint: Complaint, *, now: datetime) -> Complaint | None:
    from tousu.workflow.actions.transitions import reopen

    old = same_matter(complaint, now=now)
    if old is None:
        return None
    reopen(old, by=None, now=now, system=True,
           reason=_("the customer complained again about the same matter: %(number)s")
           % {"number": complaint.tracking_number})
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.NOTE, at=now,
                                  note=_("reopened %(number)s, closed earlier about the same matter")
                                  % {"number": old.tracking_number}, data={"reopened": old.tracking_number})
    return old
