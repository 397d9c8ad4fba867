"""The history of each complaint of an import batch, as `history_for(complaint, until=received_at)` would
read it had the rows been recorded one at a time in order of receipt, from a few grouped queries instead
of several per row: the same customer (phone or email) in the repeat window, the same lot or product in
the scope window, the same defect on the same product this month, lot totals, open incidents. A test
holds it to `history_for`."""

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db.models import Q

from tousu.assessments.history import KEYS, lot_totals, month_of, month_start, open_incident_attributes, plus
from tousu.complaints.models import Complaint
from tousu.risk import History, Policy
from tousu.risk.incidents import matches_cluster
from tousu.risk.neighbours import lot_crossed, repeat_crossed, same_problem_crossed, scope_crossed

FAR = datetime.max.replace(tzinfo=UTC)


class _Times:
    """Times of receipt per key, sorted: how many fall in [start, end]."""

    def __init__(self) -> None:
        self._times: dict[Hashable, list[datetime]] = defaultdict(list)

    def add(self, key: Hashable, at: datetime) -> None:
        insort(self._times[key], at)

    def count(self, key: Hashable, start: datetime, end: datetime) -> int:
        times = self._times.get(key)
        return bisect_right(times, end) - bisect_left(times, start) if times else 0

    def keys(self) -> Iterable[Hashable]:
        return self._times.keys()


def _either(times: _Times, first: tuple, second: tuple, both: tuple, start: datetime, end: datetime) -> int:
    """Complaints matching `first` or `second` (a lot or a product; a phone or an email), each once."""
    n = times.count(first, start, end) if first[1] else 0
    n += times.count(second, start, end) if second[1] else 0
    if first[1] and second[1]:
        n -= times.count(both, start, end)
    return n


def _customer_keys(phone: str, email: str) -> tuple[tuple, tuple, tuple]:
    return ("phone", phone), ("email", email), ("phone+email", phone, email)


def _thing_keys(lot: str, product: str) -> tuple[tuple, tuple, tuple]:
    return ("lot", lot), ("product", product), ("lot+product", lot, product)


class BatchHistory:
    def __init__(self, batch: Sequence, problems: Sequence[str], policy: Policy, now: datetime):
        """`batch`: the new complaints (IntakeData) in order of receipt; `problems`: the defect-catalogue
        item of each ("" when none)."""
        self.policy = policy
        self.repeat_window = timedelta(days=policy.repetition.window_days)
        self.scope_window = timedelta(days=policy.scope.window_days)
        earliest = min((d.received_at or now for d in batch), default=now)
        self.stored = _Times()   # complaints stored before the batch
        self.added = _Times()    # rows of the batch recorded so far
        phones = {d.phone for d in batch if d.phone}
        emails = {d.email for d in batch if d.email}
        lots = {d.lot for d in batch if d.lot}
        products = {d.product for d in batch if d.product}
        since = min(earliest - self.repeat_window, now - self.repeat_window)
        if phones or emails:
            for phone, email, at in Complaint.objects.filter(Q(phone__in=phones) | Q(email__in=emails),
                                                             received_at__gte=since).values_list(
                                                                 "phone", "email", "received_at"):
                self._add(self.stored, _customer_keys(phone, email), at)
        since = min(earliest - self.scope_window, now - self.scope_window)
        if lots or products:
            for lot, product, at in Complaint.objects.filter(Q(lot__in=lots) | Q(product__in=products),
                                                             received_at__gte=since).values_list(
                                                                 "lot", "product", "received_at"):
                self._add(self.stored, _thing_keys(lot, product), at)
        if any(problems) and products:
            for product, key, at in Complaint.objects.filter(
                    product__in=products, problem_key__in={p for p in problems if p},
                    received_at__gte=min(month_start(earliest), month_start(now))).values_list(
                        "product", "problem_key", "received_at"):
                self.stored.add(("problem", product, key), at)
        self.lots = {lot: list(totals) for lot, totals in lot_totals(lots).items()}
        self.incidents, self.clusters = open_incident_attributes()
        self.now = now
        self._rows = 0
        # (trigger, the group's complaints, the index of the row whose arrival crossed the threshold): the
        # open complaints of the group stored before that row are re-assessed, as one at a time would.
        self.crossings: list[tuple[str, Q, int]] = []

    @staticmethod
    def _add(times: _Times, keys: tuple[tuple, tuple, tuple], at: datetime) -> None:
        first, second, both = keys
        if first[1]:
            times.add(first, at)
        if second[1]:
            times.add(second, at)
        if first[1] and second[1]:
            times.add(both, at)

    def _count(self, keys: tuple[tuple, tuple, tuple], start: datetime, end: datetime, *, added: bool = True) -> int:
        n = _either(self.stored, *keys, start, end)
        return n + _either(self.added, *keys, start, end) if added else n

    def next(self, data, at: datetime, problem: str) -> History:
        """The history of the next row (received `at`), which then counts for the rows after it. Where its
        arrival makes a group's count or a lot's rate cross a policy threshold, the crossing is noted (see
        `crossings`), as `crossed_neighbours` notes it for a single arrival."""
        index = self._rows
        self._rows += 1
        customer = _customer_keys(data.phone, data.email)
        thing = _thing_keys(data.lot, data.product)
        earlier = self._count(customer, at - self.repeat_window, at) if data.phone or data.email else 0
        similar = self._count(thing, at - self.scope_window, at) if data.lot or data.product else 0
        same_problem = 0
        if data.product and problem:
            key = ("problem", data.product, problem)
            month, next_month = month_of(at)
            same_problem = self.stored.count(key, month, at) + self.added.count(key, month, at)
            self.added.add(key, at)
            until = next_month - timedelta(microseconds=1)
            size = self.stored.count(key, month, until) + self.added.count(key, month, until)
            if same_problem_crossed(self.policy, size - 1, size):
                self.crossings.append(("same_problem", Q(product=data.product, problem_key=problem,
                                                         received_at__gte=month, received_at__lt=next_month), index))
        self._add(self.added, customer, at)
        self._add(self.added, thing, at)
        for trigger, keys, window, crossed, present in (
                ("repeat", customer, self.repeat_window, repeat_crossed, data.phone or data.email),
                ("similar", thing, self.scope_window, scope_crossed, data.lot or data.product)):
            if present:
                since = self.now - window
                size = self._count(keys, since, FAR)
                if crossed(self.policy, size - 1, size):
                    first, second, _both = keys
                    members = Q(pk__in=[])
                    for name, value in (first, second):
                        if value:
                            members |= Q(**{name: value})
                    self.crossings.append((trigger, members & Q(received_at__gte=since), index))
        delivered = defective = None
        if data.lot:
            totals = self.lots.setdefault(data.lot, [None, None])
            before = tuple(totals)
            totals[0] = plus(totals[0], data.quantity_delivered)
            totals[1] = plus(totals[1], data.quantity_defective)
            delivered, defective = totals
            if lot_crossed(self.policy, before, (delivered, defective)):
                self.crossings.append(("lot_changed", Q(lot=data.lot), index))
        incident = (any((key, getattr(data, key, "")) in self.incidents for key in KEYS)
                    or any(matches_cluster(value, data.text) for value in self.clusters))
        return History(customer_earlier=earlier, similar_in_window=similar, same_problem_this_month=same_problem,
                       lot_delivered=delivered, lot_defective=defective, incident=incident)
