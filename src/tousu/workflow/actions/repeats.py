"""Repeats inside the handling period (banking rules, 合并处理): a complaint of the same customer about the
same order or product while the first one's handling clock still runs is linked to it and counted; without
new facts it is merged (no clock of its own starts), with new facts its own clocks run from its receipt."""

from datetime import datetime

from django.utils.translation import gettext as _

from tousu.complaints.choices import ENDED, EventKind
from tousu.complaints.models import Complaint, ComplaintEvent, any_of, same_customer
from tousu.timeline.repeats import Facts, inside_period, new_facts
from tousu.workflow.actions.deadlines import rules
from tousu.workflow.models import MergedRepeat


def facts_of(complaint: Complaint) -> Facts:
    return Facts(order_no=complaint.order_no, product=complaint.product, lot=complaint.lot, amount=complaint.amount,
                 demand=complaint.demand, quantity_delivered=complaint.quantity_delivered,
                 quantity_defective=complaint.quantity_defective,
                 attachments=frozenset(complaint.attachments.values_list("sha256", flat=True)))


def first_in_period(complaint: Complaint) -> Complaint | None:
    """The open complaint of the same customer about the same matter whose handling period the new one
    falls inside (the earliest such, so repeats of repeats all count toward the first)."""
    limits, _calendar = rules()
    customer = same_customer(complaint)
    matter = any_of(order_no=complaint.order_no, product=complaint.product)
    if not customer or not matter:
        return None
    candidates = (Complaint.objects.filter(customer).filter(matter).exclude(status__in=ENDED)
                  .exclude(pk=complaint.pk).filter(received_at__lte=complaint.received_at, repeat_of__isnull=True)
                  .order_by("received_at", "id"))
    for first in candidates[:20]:
        clock = first.deadlines.filter(stage=limits.repeats.period.value, met_at__isnull=True).first()
        if clock is not None and inside_period(complaint.received_at, clock.due_at,
                                               period_paused=clock.paused_at is not None):
            return first
    return None


def link_repeat(complaint: Complaint, *, now: datetime) -> MergedRepeat | None:
    """Where the policy merges repeats: link the new complaint to the first, merged when it brings no new
    facts. An emergency is never merged: it gets its own clocks."""
    limits, _calendar = rules()
    if not limits.repeats.merge:
        return None
    first = first_in_period(complaint)
    if first is None:
        return None
    found = new_facts(facts_of(first), facts_of(complaint), limits.repeats.new_fact_fields)
    merged = not found and not complaint.emergency
    link = MergedRepeat.objects.create(first=first, repeat=complaint, new_facts=found, merged=merged, at=now)
    data = {"first": first.tracking_number, "repeat": complaint.tracking_number, "merged": merged,
            "new_facts": found, "source": limits.repeats.source}
    if merged:
        ComplaintEvent.objects.bulk_create([
            ComplaintEvent(complaint=complaint, kind=EventKind.NOTE, at=now, data=data,
                           note=_("a repeat without new facts inside the handling period of %(number)s: merged "
                                  "into it, no clock of its own") % {"number": first.tracking_number}),
            ComplaintEvent(complaint=first, kind=EventKind.NOTE, at=now, data=data,
                           note=_("repeat %(number)s without new facts merged into this complaint")
                           % {"number": complaint.tracking_number})])
    else:
        ComplaintEvent.objects.bulk_create([
            ComplaintEvent(complaint=complaint, kind=EventKind.NOTE, at=now, data=data,
                           note=_("a repeat of %(number)s with new facts: its clocks run from its receipt")
                           % {"number": first.tracking_number}),
            ComplaintEvent(complaint=first, kind=EventKind.NOTE, at=now, data=data,
                           note=_("repeat %(number)s brought new facts and is handled with its own clocks")
                           % {"number": complaint.tracking_number})])
    return link
