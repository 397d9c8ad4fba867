"""What the database knows around a complaint, as the plain `History` the assessment reads: for one
complaint (`history_for`), or for many re-assessed at the same moment with a few grouped queries
(`histories_now`; a test holds the two to the same answers)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, Sum

from tousu.assessments.models import Incident, IncidentAttribute
from tousu.complaints.models import Complaint, same_customer, same_lot_or_product
from tousu.risk import History, Policy
from tousu.risk.assess import problem_key
from tousu.risk.incidents import ATTRIBUTE_KEYS, CLUSTER, matches_cluster

# The complaint attributes mass incidents group by (text clusters aside).
KEYS = ATTRIBUTE_KEYS


def history_for(complaint: Complaint, policy: Policy, *, until: datetime | None = None) -> History:
    """What was known up to `until` (default: when the complaint arrived), from one aggregate query over the
    complaints that share its customer, lot, product or defect."""
    at = until or complaint.received_at
    counted: dict[str, Q] = {}
    customer = same_customer(complaint)
    if customer:
        window = timedelta(days=policy.repetition.window_days)
        counted["customer_earlier"] = customer & Q(received_at__gte=at - window, received_at__lte=at)
    same_thing = same_lot_or_product(complaint)
    if same_thing:
        scope = timedelta(days=policy.scope.window_days)
        counted["similar_in_window"] = same_thing & Q(received_at__gte=at - scope, received_at__lte=at)
    # The same defect (catalogue item) on the same product in the calendar month the complaint was received
    # (R-RA-5: "recurs 3 or more times in the same month"), as known at `at`; at intake the complaint's own
    # item is not stored yet, so it is read from its text.
    key = complaint.problem_key or problem_key(complaint.text, policy)
    if complaint.product and key:
        start, end = month_of(complaint.received_at)
        counted["same_problem_this_month"] = Q(product=complaint.product, problem_key=key, received_at__gte=start,
                                               received_at__lt=end, received_at__lte=at)
    aggregates: dict[str, Any] = {name: Count("id", filter=condition) for name, condition in counted.items()}
    wanted = list(counted.values())
    if complaint.lot:
        in_lot = Q(lot=complaint.lot)
        aggregates.update(delivered=Sum("quantity_delivered", filter=in_lot),
                          defective=Sum("quantity_defective", filter=in_lot))
        wanted.append(in_lot)
    found: dict[str, Any] = {}
    if aggregates:
        either = Q(pk__in=[])
        for condition in wanted:
            either |= condition
        found = Complaint.objects.exclude(pk=complaint.pk).filter(either).aggregate(**aggregates)
    lot_delivered = lot_defective = None
    if complaint.lot:  # a lot's totals count every complaint of it, this one included
        lot_delivered = plus(found["delivered"], complaint.quantity_delivered)
        lot_defective = plus(found["defective"], complaint.quantity_defective)
    return History(customer_earlier=found.get("customer_earlier", 0), similar_in_window=found.get("similar_in_window", 0),
                   same_problem_this_month=found.get("same_problem_this_month", 0), lot_delivered=lot_delivered,
                   lot_defective=lot_defective, incident=matching_open_incidents(complaint).exists())


def histories_now(complaints: Sequence[Complaint], policy: Policy, now: datetime, *,
                  open_incidents: tuple[set[tuple[str, str]], set[str]] | None = None) -> dict[int, History]:
    """`history_for(c, policy, until=now)` for each complaint received by `now`, from grouped queries.
    `open_incidents`: `open_incident_attributes()` as the caller has just read it in this transaction."""
    customer_since = now - timedelta(days=policy.repetition.window_days)
    scope_since = now - timedelta(days=policy.scope.window_days)
    phones = {c.phone for c in complaints if c.phone}
    emails = {c.email for c in complaints if c.email}
    lots = {c.lot for c in complaints if c.lot}
    products = {c.product for c in complaints if c.product}

    # The same customer is the same phone or the same email: keep the ids to count each complaint once.
    by_phone: dict[str, set[int]] = defaultdict(set)
    by_email: dict[str, set[int]] = defaultdict(set)
    if phones or emails:
        for pk, phone, email in Complaint.objects.filter(
                Q(phone__in=phones) | Q(email__in=emails), received_at__gte=customer_since,
                received_at__lte=now).order_by().values_list("id", "phone", "email"):
            if phone in phones:
                by_phone[phone].add(pk)
            if email in emails:
                by_email[email].add(pk)

    # Similar: the same lot or the same product, counted as |lot| + |product| - |both|. The pairs come from
    # the lot index (a lot is small); asked by product, the database would walk a whole product's week.
    recent = Complaint.objects.filter(received_at__gte=scope_since, received_at__lte=now)
    per_pair = _counts(recent.filter(lot__in=lots), "lot", "product") if lots else {}
    per_lot: dict[tuple, int] = defaultdict(int)
    for (lot, _product), n in per_pair.items():
        per_lot[(lot,)] += n
    per_product = _counts(recent.filter(product__in=products), "product") if products else {}
    problems = {(c.product, c.problem_key) for c in complaints if c.product and c.problem_key}
    per_problem: dict[tuple, int] = defaultdict(int)  # (product, item, month start): complaints
    if problems:
        for product, item, at in Complaint.objects.filter(
                product__in={p for p, _t in problems}, problem_key__in={t for _p, t in problems},
                received_at__gte=min(month_start(c.received_at) for c in complaints), received_at__lte=now,
        ).values_list("product", "problem_key", "received_at"):
            per_problem[(product, item, month_start(at))] += 1
    totals = lot_totals(lots)
    incidents, clusters = open_incidents if open_incidents is not None else open_incident_attributes()
    linked = set(Incident.complaints.through.objects.filter(
        incident__state=Incident.State.OPEN, complaint_id__in=[c.pk for c in complaints])
        .values_list("complaint_id", flat=True))

    histories = {}
    for c in complaints:
        customer = by_phone.get(c.phone, set()) | by_email.get(c.email, set()) if c.phone or c.email else set()
        similar = 0
        if c.lot or c.product:
            similar = (per_lot.get((c.lot,), 0) if c.lot else 0) + (per_product.get((c.product,), 0) if c.product else 0)
            similar -= per_pair.get((c.lot, c.product), 0) if c.lot and c.product else 0
            similar -= scope_since <= c.received_at <= now  # itself
        same_problem = 0
        if c.product and c.problem_key:
            same_problem = per_problem.get((c.product, c.problem_key, month_start(c.received_at)), 0) - (
                c.received_at <= now)
        delivered, defective = totals.get(c.lot, (None, None))
        histories[c.pk] = History(
            customer_earlier=len(customer - {c.pk}), similar_in_window=similar, same_problem_this_month=same_problem,
            lot_delivered=delivered, lot_defective=defective,
            incident=c.pk in linked or any((key, getattr(c, key, "")) in incidents for key in KEYS)
            or any(matches_cluster(value, c.text) for value in clusters))
    return histories


def plus(total: int | None, quantity: int | None) -> int | None:
    """A sum as SQL's SUM gives it: None until some row has a value."""
    return total if quantity is None else (total or 0) + quantity


def lot_totals(lots: Iterable[str]) -> dict[str, tuple[int | None, int | None]]:
    """(delivered, defective) summed over every complaint of each lot; blank lots are not lots."""
    wanted = {lot for lot in lots if lot}
    if not wanted:
        return {}
    return {row["lot"]: (row["delivered"], row["defective"]) for row in Complaint.objects.filter(lot__in=wanted)
            .values("lot").annotate(delivered=Sum("quantity_delivered"), defective=Sum("quantity_defective"))}


def open_incident_attributes() -> tuple[set[tuple[str, str]], set[str]]:
    """The (key, value) attributes of the open incidents, and the names of their text clusters."""
    attributes = set(IncidentAttribute.objects.filter(incident__state=Incident.State.OPEN).order_by()
                     .values_list("key", "value"))
    attributes |= set(Incident.objects.filter(state=Incident.State.OPEN).order_by()
                      .values_list("key", "value"))  # its name
    return attributes, {value for key, value in attributes if key == CLUSTER}


def matching_open_incidents(complaint: Complaint):
    """The open incidents the complaint belongs to: linked already, sharing one of their attributes (same
    product, lot or region), or like their cluster of similar texts."""
    open_incidents = Incident.objects.filter(state=Incident.State.OPEN)
    if not open_incidents.exists():  # the usual case: one cheap query instead of three
        return open_incidents.none()
    condition = Q(complaints=complaint.pk) if complaint.pk else Q(pk__in=[])
    for key in KEYS:
        value = getattr(complaint, key, "")
        if value:
            condition |= Q(attributes__key=key, attributes__value=value) | Q(key=key, value=value)
    clusters = [*Incident.objects.filter(state=Incident.State.OPEN, key=CLUSTER).values_list("pk", "value"),
                *IncidentAttribute.objects.filter(incident__state=Incident.State.OPEN, key=CLUSTER).values_list(
                    "incident_id", "value")]
    like = [pk for pk, value in clusters if matches_cluster(value, complaint.text)]
    if like:
        condition |= Q(pk__in=like)
    return Incident.objects.filter(condition, state=Incident.State.OPEN).distinct()


def _counts(queryset, *keys: str) -> dict[tuple, int]:
    return {tuple(row[k] for k in keys): row["n"] for row in queryset.values(*keys).annotate(n=Count("id"))}


def month_of(at: datetime) -> tuple[datetime, datetime]:
    """The calendar month (local time) holding `at`, as [start, end)."""
    start = month_start(at)
    return start, (start + timedelta(days=32)).replace(day=1)


def month_start(at: datetime) -> datetime:
    from django.utils import timezone

    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
