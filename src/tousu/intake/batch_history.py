"""The history of each complaint of an import batch, as `history_for(complaint, until=received_at)` would
read it had the rows been recorded one at a time in order of receipt, from a few grouped queries instead
of several per row: the same customer (phone or email) in the repeat window, the same lot or product in
the scope window, the same defect on the same product this month, lot totals, open incidents. A test
holds it to `history_for`."""

from bisect import bisect_left, bisect_right, insort
from collections.abc import Hashable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q

from tousu.assessments.history import KEYS, lot_totals, month_of, month_start, open_incident_attributes, plus
from tousu.complaints.models import Complaint
from tousu.risk import History, Policy
from tousu.risk.incidents import matches_cluster
from tousu.risk.neighbours import lot_crossed, repeat_crossed, same_problem_crossed, scope_crossed

FAR = datetime.max.replace(tzinfo=UTC)


class _Times:
    """Times of receipt per key, sorted: how many fall in [start, end]. Every time is UTC with the one `UTC`
    tzinfo, so comparing two is comparing their fields, without asking each for its offset.

    Beside the times, a number per key of times known only to lie in a band [low, high] that every window
    asked about contains (see `BatchHistory`): a flood about one product need not bring back each of the
    thousands of complaints about it in the window, only how many there are."""

    def __init__(self) -> None:
        self._times: dict[Hashable, list[datetime]] = {}
        self._in_band: dict[Hashable, int] = {}
        self._band: tuple[datetime, datetime] | None = None

    def set_band(self, low: datetime, high: datetime) -> None:
        self._band = (low, high)

    def add_in_band(self, key: Hashable, n: int) -> None:
        self._in_band[key] = self._in_band.get(key, 0) + n

    def add(self, key: Hashable, at: datetime) -> None:
        times = self._times.get(key)
        if times is None:
            self._times[key] = [at]
        elif at >= times[-1]:  # the batch's rows come in order of receipt
            times.append(at)
        else:
            insort(times, at)

    def count(self, key: Hashable, start: datetime, end: datetime) -> int:
        times = self._times.get(key)
        n = bisect_right(times, end) - bisect_left(times, start) if times else 0
        in_band = self._in_band.get(key)
        if in_band:
            assert self._band is not None and start <= self._band[0] and self._band[1] <= end, (start, end, self._band)
            n += in_band
        return n

    def keys(self) -> Iterable[Hashable]:
        return self._times.keys()


def _either(times: _Times, first: tuple, second: tuple, both: tuple, start: datetime, end: datetime) -> int:
    """Complaints matching `first` or `second` (a lot or a product; a phone or an email), each once."""
    if not first[1]:
        return times.count(second, start, end) if second[1] else 0
    n = times.count(first, start, end)
    if second[1]:
        n += times.count(second, start, end) - times.count(both, start, end)
    return n


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _received(queryset) -> Iterator[tuple]:
    """The rows of a `values_list(…, "received_at")` query, the time as an aware UTC datetime: read with a
    plain cursor, since the ORM's converters parse every time through Django's own parser."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for *values, at in cursor.fetchall():
            if isinstance(at, str):  # SQLite: naive UTC text, as Django writes it
                at = datetime.fromisoformat(at)
            # SQLite's column converter gives a naive UTC time, PostgreSQL an aware one.
            yield (*values, at.replace(tzinfo=UTC) if at.tzinfo is None else _utc(at))


def _customer_keys(phone: str, email: str) -> tuple[tuple, tuple, tuple]:
    return ("phone", phone), ("email", email), ("phone+email", phone, email)


def _thing_keys(lot: str, product: str) -> tuple[tuple, tuple, tuple]:
    return ("lot", lot), ("product", product), ("lot+product", lot, product)


def _counted(keys: tuple[tuple, tuple, tuple]) -> tuple[tuple, ...]:
    """Of (first, second, both), the keys a complaint counts under: those with a value, and `both` when
    it has the two (`_either` subtracts it, so that a complaint matching both is counted once)."""
    first, second, both = keys
    if first[1]:
        return (first, second, both) if second[1] else (first,)
    return (second,) if second[1] else ()


class BatchHistory:
    def __init__(self, batch: Sequence, problems: Sequence[str], policy: Policy, now: datetime):
        """`batch`: the new complaints (IntakeData) in order of receipt; `problems`: the defect-catalogue
        item of each ("" when none)."""
        self.policy = policy
        self.repeat_window = timedelta(days=policy.repetition.window_days)
        self.scope_window = timedelta(days=policy.scope.window_days)
        earliest = min((d.received_at or now for d in batch), default=now)
        latest = max((d.received_at or now for d in batch), default=now)
        # The complaints stored before the batch, then the batch's rows as they are recorded: every count
        # is over both.
        self.times = _Times()
        phones = {d.phone for d in batch if d.phone}
        emails = {d.email for d in batch if d.email}
        lots = {d.lot for d in batch if d.lot}
        products = {d.product for d in batch if d.product}
        since = min(earliest - self.repeat_window, now - self.repeat_window)
        if phones or emails:
            for phone, email, at in _received(Complaint.objects.filter(
                    Q(phone__in=phones) | Q(email__in=emails), received_at__gte=since).order_by().values_list(
                        "phone", "email", "received_at")):
                self._add(_customer_keys(phone, email), at)
        since = min(earliest - self.scope_window, now - self.scope_window)
        if lots or products:
            things = Complaint.objects.filter(Q(lot__in=lots) | Q(product__in=products),
                                              received_at__gte=since).order_by()
            # Every window asked about the same lot or product, [row's time - window, row's time] for each
            # row and [now - window, …] for the crossings, holds [latest time - window, earliest time]: the
            # complaints received in that band are counted by the database, the others read one by one.
            # A group of the API arrives within moments, so nearly all of the window is in the band.
            low, high = _utc(max(latest, now)) - self.scope_window, _utc(earliest)  # in UTC, as `next` counts
            if low <= high:
                self.times.set_band(low, high)
                for lot, product, n in things.filter(received_at__gte=low, received_at__lte=high).values(
                        "lot", "product").annotate(n=Count("id")).values_list("lot", "product", "n"):
                    self._add_in_band(_thing_keys(lot, product), n)
                things = things.filter(Q(received_at__lt=low) | Q(received_at__gt=high))
            for lot, product, at in _received(things.values_list("lot", "product", "received_at")):
                self._add(_thing_keys(lot, product), at)
        if any(problems) and products:
            for product, key, at in _received(Complaint.objects.filter(
                    product__in=products, problem_key__in={p for p in problems if p},
                    received_at__gte=min(month_start(earliest), month_start(now))).order_by().values_list(
                        "product", "problem_key", "received_at")):
                self.times.add(("problem", product, key), at)
        self.lots = {lot: list(totals) for lot, totals in lot_totals(lots).items()}
        self.incidents, self.clusters = open_incident_attributes()
        self.now = now
        self._since = {window: _utc(now - window) for window in (self.repeat_window, self.scope_window)}
        self._month: tuple[datetime, datetime, datetime, datetime, datetime] | None = None
        self._rows = 0
        # (trigger, the group's complaints, the index of the row whose arrival crossed the threshold): the
        # open complaints of the group stored before that row are re-assessed, as one at a time would.
        self.crossings: list[tuple[str, Q, int]] = []

    def _add(self, keys: tuple[tuple, tuple, tuple], at: datetime) -> None:
        for key in _counted(keys):
            self.times.add(key, at)

    def _add_in_band(self, keys: tuple[tuple, tuple, tuple], n: int) -> None:
        for key in _counted(keys):
            self.times.add_in_band(key, n)

    def _month_of(self, at: datetime) -> tuple[datetime, datetime, datetime, datetime, datetime]:
        """The local calendar month holding `at`: (start, next month's start, both in UTC, the last
        microsecond before the next month in UTC, the local start), worked out once per month."""
        known = self._month
        if known is None or not known[0] <= at < known[1]:
            month, next_month = month_of(at)
            known = self._month = (_utc(month), _utc(next_month), _utc(next_month - timedelta(microseconds=1)),
                                   month, next_month)
        return known

    def next(self, data, at: datetime, problem: str) -> History:
        """The history of the next row (received `at`), which then counts for the rows after it. Where its
        arrival makes a group's count or a lot's rate cross a policy threshold, the crossing is noted (see
        `crossings`), as `crossed_neighbours` notes it for a single arrival."""
        index = self._rows
        self._rows += 1
        at = _utc(at)
        times = self.times
        customer = _customer_keys(data.phone, data.email)
        thing = _thing_keys(data.lot, data.product)
        has_customer, has_thing = bool(data.phone or data.email), bool(data.lot or data.product)
        earlier = _either(times, *customer, at - self.repeat_window, at) if has_customer else 0
        similar = _either(times, *thing, at - self.scope_window, at) if has_thing else 0
        same_problem = 0
        if data.product and problem:
            key = ("problem", data.product, problem)
            month, next_month, until, local_month, local_next = self._month_of(at)
            same_problem = times.count(key, month, at)
            times.add(key, at)
            size = times.count(key, month, until)
            if same_problem_crossed(self.policy, size - 1, size):
                self.crossings.append(("same_problem", Q(product=data.product, problem_key=problem,
                                                         received_at__gte=local_month,
                                                         received_at__lt=local_next), index))
        if has_customer:
            self._add(customer, at)
        if has_thing:
            self._add(thing, at)
        for trigger, keys, window, crossed, present in (
                ("repeat", customer, self.repeat_window, repeat_crossed, has_customer),
                ("similar", thing, self.scope_window, scope_crossed, has_thing)):
            if present:
                since = self._since[window]
                size = _either(times, *keys, since, FAR)
                if crossed(self.policy, size - 1, size):
                    first, second, _both = keys
                    members = Q(pk__in=[])
                    for name, value in (first, second):
                        if value:
                            members |= Q(**{name: value})
                    self.crossings.append((trigger, members & Q(received_at__gte=self.now - window), index))
        delivered = defective = None
        if data.lot:
            totals = self.lots.setdefault(data.lot, [None, None])
            before = tuple(totals)
            totals[0] = plus(totals[0], data.quantity_delivered)
            totals[1] = plus(totals[1], data.quantity_defective)
            delivered, defective = totals
            if lot_crossed(self.policy, before, (delivered, defective)):
                self.crossings.append(("lot_changed", Q(lot=data.lot), index))
        incident = bool(self.incidents) and (
            any((key, getattr(data, key, "")) in self.incidents for key in KEYS)
            or any(matches_cluster(value, data.text) for value in self.clusters))
        return History(customer_earlier=earlier, similar_in_window=similar, same_problem_this_month=same_problem,
                       lot_delivered=delivered, lot_defective=defective, incident=incident)
