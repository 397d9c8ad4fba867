"""Repeats inside the handling period (banking rules, 合并处理): a complaint of the same customer about the
same order or product while the first one's handling clock still runs is linked to it and counted; without
new facts it is merged (no clock of its own starts), with new facts its own clocks run from its receipt."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from tousu.complaints import events
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint, any_of, same_customer
from tousu.timeline.repeats import Facts, inside_period, new_facts
from tousu.workflow.actions.deadlines import rules
from tousu.workflow.actions.transitions import reopen
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
    events.record_many(events.repeat_linked_rows(
        first.pk, complaint.pk, at=now, first=first.tracking_number, repeat=complaint.tracking_number,
        merged=merged, new_facts=found, source=limits.repeats.source))
    return link


def repeat_candidates(customers: Sequence[tuple[int, str, str]]) -> list[int]:
    """Of new complaints (of one import), given as (id, phone, email), the ids of those that may be repeats:
    their customer has another open complaint. One query; `link_repeat` then decides for each."""
    limits, _calendar = rules()
    phones = {phone for _pk, phone, _email in customers if phone}
    emails = {email for _pk, _phone, email in customers if email}
    if not limits.repeats.merge or not (phones or emails):
        return []
    seen = Counter()
    for phone, email in (Complaint.objects.filter(any_of(phone__in=phones, email__in=emails))
                         .exclude(status__in=ENDED).order_by().values_list("phone", "email")):
        seen[("phone", phone)] += 1
        seen[("email", email)] += 1
    return [pk for pk, phone, email in customers if (phone and seen[("phone", phone)] > 1)
            or (email and seen[("email", email)] > 1)]


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


def reopen_candidates(customers: Sequence[tuple[int, str, str]], *, now: datetime) -> list[int]:
    """Of new complaints, given as (id, phone, email), the ids of those whose customer had a complaint closed
    within the reopen window (one query); `reopen_same_matter` then decides for each."""
    limits, _calendar = rules()
    phones = {phone for _pk, phone, _email in customers if phone}
    emails = {email for _pk, _phone, email in customers if email}
    if not limits.reopen_window_days or not (phones or emails):
        return []
    since = now - timedelta(days=limits.reopen_window_days)
    closed = set()
    for phone, email in (Complaint.objects.filter(any_of(phone__in=phones, email__in=emails))
                         .filter(status="closed", closed_at__gte=since).order_by().values_list("phone", "email")):
        closed |= {("phone", phone), ("email", email)}
    return [pk for pk, phone, email in customers if (phone and ("phone", phone) in closed)
            or (email and ("email", email) in closed)]


def reopen_same_matter(complaint: Complaint, *, now: datetime) -> Complaint | None:
    """A new complaint about a matter closed recently reopens the closed complaint (R-WF-1)."""
    old = same_matter(complaint, now=now)
    if old is None:
        return None
    reopen(old, by=None, now=now, system=True,
           reason=_("the customer complained again about the same matter: %(number)s")
           % {"number": complaint.tracking_number})
    events.reopened_by_repeat(complaint.pk, at=now, reopened=old.tracking_number)
    return old
