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
from tousu.complaints.choices import ENDED
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


def _add(times: _Times, keys: tuple[tuple, tuple, tuple], at: datetime) -> None:
    for key in _counted(keys):
        times.add(key, at)


def _any_of(field: str, values: set[str]) -> Q:
    return Q(**{f"{field}__in": values}) if values else Q(pk__in=[])


class _Known:
    """What is remembered of one kind of key (the customer, the lot or product, the defect): since when,
    which of its keys are complete, and the ids of the stored complaints counted already."""

    def __init__(self) -> None:
        self.since: datetime | None = None
        self.complete: set[Hashable] = set()
        self.seen: set[int] = set()


class Remembered:
    """The history an import's batches read and wrote, kept from one batch to the next: a batch then reads
    from the database only the keys (customers, lots, products, defects) and times that no earlier batch
    did, and the import reads each stored complaint once instead of once per batch. (Each batch of a file
    in no order of time spans most of its time range, so without this every batch read most of the table.)

    It holds as long as nothing but the import changed a complaint: every stored change writes an event,
    which moves the audit chain's head, so a batch checks that the head is where the import's last batch
    left it (`check`) and starts from nothing otherwise. Between `check` and `settle` nothing trusts it: a
    batch that fails never settles, and the next one starts from nothing. Counts are kept once per stored
    complaint (by id): a key may hold part of its complaints until a batch needs it and reads the rest."""

    def __init__(self) -> None:
        self.generation = 0  # one more each time it starts from nothing (what was made from it is void)
        self.forget()

    def forget(self) -> None:
        """Start from nothing (what was made from it before is void)."""
        self.generation += 1
        self.position: int | None = None  # the audit chain's head the history is true at; None: not known
        self.times = _Times()
        self.lots: dict[str, list] = {}
        self._lots_read: set[str] = set()
        self._kinds = {kind: _Known() for kind in ("customer", "thing", "problem")}
        self._stale = False

    def check(self, position: int) -> None:
        """At the start of a batch, the audit chain's head (locked by the batch): anything moved it since
        the last batch settled, or that batch failed, and it starts from nothing."""
        if position != self.position:
            self.forget()
        self.position = None  # until this batch settles

    def stale(self) -> None:
        """The batch changed what the history reads of a stored complaint (its defect item): the next
        batch starts from nothing."""
        self._stale = True

    def counted(self, ids: Iterable[int]) -> None:
        """The batch stored complaints `ids`, counted already: a read before it settles (the next batch made
        ready ahead) must not count them again."""
        ids = list(ids)
        for known in self._kinds.values():
            known.seen.update(ids)

    def settle(self, position: int, ids: Iterable[int]) -> None:
        """The batch stored complaints `ids` (their times are counted already, as `next` added them) and
        left the audit chain's head at `position`."""
        if self._stale:
            self.forget()
            return
        self.counted(ids)
        self.position = position

    def read(self, *, phones: set[str], emails: set[str], customers_since: datetime, lots: set[str],
             products: set[str], things_since: datetime, pairs: set[tuple[str, str]],
             problems_since: datetime) -> None:
        """Read what a batch needs and is not remembered yet: its keys' complaints from each kind's time on."""
        times = self.times
        self._read("customer", {("phone", v) for v in phones} | {("email", v) for v in emails}, customers_since,
                   lambda new: _any_of("phone", {v for f, v in new if f == "phone"})
                   | _any_of("email", {v for f, v in new if f == "email"}),
                   ~Q(phone="") | ~Q(email=""), ("phone", "email"),
                   lambda phone, email, at: _add(times, _customer_keys(phone, email), at))
        self._read("thing", {("lot", v) for v in lots} | {("product", v) for v in products}, things_since,
                   lambda new: _any_of("lot", {v for f, v in new if f == "lot"})
                   | _any_of("product", {v for f, v in new if f == "product"}),
                   ~Q(lot="") | ~Q(product=""), ("lot", "product"),
                   lambda lot, product, at: _add(times, _thing_keys(lot, product), at))
        self._read("problem", pairs, problems_since,
                   lambda new: Q(product__in={p for p, _k in new}, problem_key__in={k for _p, k in new}),
                   ~Q(product="") & ~Q(problem_key=""), ("product", "problem_key"),
                   lambda product, key, at: times.add(("problem", product, key), at))
        unread = lots - self._lots_read
        if unread:
            self.lots.update({lot: list(totals) for lot, totals in lot_totals(unread).items()})
            self._lots_read |= unread

    def _read(self, kind: str, wanted: set, since: datetime, of_keys, present: Q, fields: tuple[str, str],
              add) -> None:
        """`of_keys(keys)`: the complaints of those keys; `present`: those with a key of this kind at all."""
        known = self._kinds[kind]
        if known.since is not None and since < known.since:  # earlier than any batch before: the gap
            self._add_rows(known, Complaint.objects.filter(present, received_at__gte=since,
                                                           received_at__lt=known.since), fields, add)
        known.since = since if known.since is None else min(since, known.since)
        new = wanted - known.complete
        if new:
            self._add_rows(known, Complaint.objects.filter(of_keys(new), received_at__gte=known.since), fields, add)
            known.complete |= new

    @staticmethod
    def _add_rows(known: _Known, queryset, fields: tuple[str, str], add) -> None:
        seen = known.seen
        for pk, first, second, at in _received(queryset.order_by().values_list("id", *fields, "received_at")):
            if pk not in seen:
                seen.add(pk)
                add(first, second, at)


class BatchHistory:
    def __init__(self, batch: Sequence, problems: Sequence[str], policy: Policy, now: datetime,
                 remembered: "Remembered | None" = None):
        """`batch`: the new complaints (IntakeData) in order of receipt; `problems`: the defect-catalogue
        item of each ("" when none). `remembered`: what the earlier batches of the same import read and
        wrote (see `Remembered`), so that only what it lacks is read."""
        self.policy = policy
        self.repeat_window = timedelta(days=policy.repetition.window_days)
        self.scope_window = timedelta(days=policy.scope.window_days)
        earliest = min((d.received_at or now for d in batch), default=now)
        latest = max((d.received_at or now for d in batch), default=now)
        # The complaints stored before the batch, then the batch's rows as they are recorded: every count
        # is over both.
        phones = {d.phone for d in batch if d.phone}
        emails = {d.email for d in batch if d.email}
        lots = {d.lot for d in batch if d.lot}
        products = {d.product for d in batch if d.product}
        pairs = {(d.product, problem) for d, problem in zip(batch, problems, strict=True) if d.product and problem}
        customers_since = min(earliest - self.repeat_window, now - self.repeat_window)
        things_since = min(earliest - self.scope_window, now - self.scope_window)
        problems_since = min(month_start(earliest), month_start(now))
        if remembered is None:
            self.times = _Times()
            self._read_customers(phones, emails, customers_since)
            self._read_things(lots, products, things_since, earliest, latest, now)
            if pairs:
                for product, key, at in _received(Complaint.objects.filter(
                        product__in={p for p, _k in pairs}, problem_key__in={k for _p, k in pairs},
                        received_at__gte=problems_since).order_by().values_list("product", "problem_key",
                                                                                "received_at")):
                    self.times.add(("problem", product, key), at)
            self.lots = {lot: list(totals) for lot, totals in lot_totals(lots).items()}
        else:
            remembered.read(phones=phones, emails=emails, customers_since=customers_since, lots=lots,
                            products=products, things_since=things_since, pairs=pairs,
                            problems_since=problems_since)
            self.times, self.lots = remembered.times, remembered.lots
        self.incidents, self.clusters = open_incident_attributes()
        self.now = now
        self._since = {window: _utc(now - window) for window in (self.repeat_window, self.scope_window)}
        self._month: tuple[datetime, datetime, datetime, datetime, datetime] | None = None
        self._rows = 0
        # (trigger, the group's keys, the index of the row whose arrival crossed the threshold): the open
        # complaints of the group stored before that row are re-assessed, as one at a time would (`crossed`).
        # The keys: ("lot", lot) for a lot's rate; the customer's or the thing's (field, value) pairs, any of
        # which makes a complaint one of the group (received in the window up to now); for the same defect,
        # (product, defect item, the local month's start and end).
        self.crossings: list[tuple[str, tuple, int]] = []

    def _read_customers(self, phones: set[str], emails: set[str], since: datetime) -> None:
        if phones or emails:
            for phone, email, at in _received(Complaint.objects.filter(
                    Q(phone__in=phones) | Q(email__in=emails), received_at__gte=since).order_by().values_list(
                        "phone", "email", "received_at")):
                _add(self.times, _customer_keys(phone, email), at)

    def _read_things(self, lots: set[str], products: set[str], since: datetime, earliest: datetime,
                     latest: datetime, now: datetime) -> None:
        if not lots and not products:
            return
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
                for key in _counted(_thing_keys(lot, product)):
                    self.times.add_in_band(key, n)
            things = things.filter(Q(received_at__lt=low) | Q(received_at__gt=high))
        for lot, product, at in _received(things.values_list("lot", "product", "received_at")):
            _add(self.times, _thing_keys(lot, product), at)

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
                self.crossings.append(("same_problem", ((data.product, problem, local_month, local_next),), index))
        if has_customer:
            _add(times, customer, at)
        if has_thing:
            _add(times, thing, at)
        for trigger, keys, window, crossed, present in (
                ("repeat", customer, self.repeat_window, repeat_crossed, has_customer),
                ("similar", thing, self.scope_window, scope_crossed, has_thing)):
            if present:
                since = self._since[window]
                size = _either(times, *keys, since, FAR)
                if crossed(self.policy, size - 1, size):
                    first, second, _both = keys
                    self.crossings.append((trigger, tuple(key for key in (first, second) if key[1]), index))
        delivered = defective = None
        if data.lot:
            totals = self.lots.setdefault(data.lot, [None, None])
            before = tuple(totals)
            totals[0] = plus(totals[0], data.quantity_delivered)
            totals[1] = plus(totals[1], data.quantity_defective)
            delivered, defective = totals
            if lot_crossed(self.policy, before, (delivered, defective)):
                self.crossings.append(("lot_changed", (("lot", data.lot),), index))
        incident = bool(self.incidents) and (
            any((key, getattr(data, key, "")) in self.incidents for key in KEYS)
            or any(matches_cluster(value, data.text) for value in self.clusters))
        return History(customer_earlier=earlier, similar_in_window=similar, same_problem_this_month=same_problem,
                       lot_delivered=delivered, lot_defective=defective, incident=incident)

    def crossed(self, ids: Sequence[int]) -> list[tuple[int, str]]:
        """The open complaints to re-assess, as (id, trigger), each once under its first trigger (lot, repeat,
        similar, same defect), for the crossings of the rows now stored as `ids` (in order of receipt, so
        rising): a crossing's group stored before the row that crossed, as `crossed_neighbours` finds them
        for a single arrival. A complaint in a group by several keys needs to come before one of their rows
        only: each key keeps the latest row that crossed with it. One query per trigger."""
        below: dict[str, dict[tuple, int]] = {}
        for trigger, keys, index in self.crossings:
            bounds = below.setdefault(trigger, {})
            for key in keys:
                bounds[key] = max(bounds.get(key, 0), ids[index])
        found: dict[int, str] = {}
        still_open = Complaint.objects.exclude(status__in=ENDED).order_by()
        windows = {"repeat": self.repeat_window, "similar": self.scope_window}
        for trigger in ("lot_changed", "repeat", "similar", "same_problem"):
            bounds = below.get(trigger, {})
            if not bounds:
                continue
            matched = []
            if trigger == "same_problem":
                months: dict[tuple[str, str], list[tuple[datetime, datetime, int]]] = {}
                for (product, problem, start, end), bound in bounds.items():
                    months.setdefault((product, problem), []).append((start, end, bound))
                for pk, product, problem, at in still_open.filter(
                        product__in={key[0] for key in months}, problem_key__in={key[1] for key in months},
                        received_at__gte=min(key[2] for key in bounds)).values_list(
                            "id", "product", "problem_key", "received_at"):
                    if any(start <= at < end and pk < bound for start, end, bound in months.get((product, problem), ())):
                        matched.append(pk)
            else:
                fields = sorted({name for name, _value in bounds})
                members = Q(pk__in=[])
                for name in fields:
                    members |= Q(**{f"{name}__in": {value for field, value in bounds if field == name}})
                if trigger in windows:
                    members &= Q(received_at__gte=self.now - windows[trigger])
                for pk, *values in still_open.filter(members).values_list("id", *fields):
                    if any(pk < bounds.get((name, value), 0) for name, value in zip(fields, values, strict=True)):
                        matched.append(pk)
            for pk in sorted(matched):
                found.setdefault(pk, trigger)
        return list(found.items())
