"""A generated year of complaints with injected spikes of known size and time, and the early-warning rule
run over it as the periodic task would (R-RA-9): how soon each spike is found, how many incidents each
opens, and how many incidents open where nothing happened. No Django; used by the tests and by
`bench/early_warning.py`, whose figures are in docs/early-warning.md."""

import bisect
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tousu.risk.incidents import (
    IncidentPolicy,
    Recent,
    expectations,
    find_spikes,
    lot_parents,
    merge,
    same_windows,
    seasonal_share,
)

WEEKDAY = (1.3, 1.1, 1.0, 1.0, 0.9, 0.6, 0.5)  # Monday … Sunday
# Hour-of-day profile: night is quiet, office hours busy (averages to 1).
HOURS = tuple(h / 24 for h in (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.4, 1.7, 1.8, 1.7,
                                1.5, 1.6, 1.7, 1.6, 1.5, 1.4, 1.3, 1.2, 1.1, 0.9, 0.6, 0.4))
REGIONS = (("上海", 0.25), ("北京", 0.2), ("广州", 0.2), ("杭州", 0.15), ("成都", 0.12), ("西安", 0.08))
RATES = (0.5, 1, 2, 3, 5, 8)  # a product's usual complaints per day


@dataclass(frozen=True)
class Arrival:
    id: int
    at: datetime
    product: str
    lot: str
    region: str
    injected: int | None = None  # the spike it belongs to


@dataclass(frozen=True)
class Injected:
    number: int
    product: str
    start: datetime
    size: float  # times the product's usual rate, over one window
    base_rate: float
    ids: frozenset[int] = frozenset()


@dataclass
class SimIncident:
    opened_at: datetime
    attributes: set[tuple[str, str]]
    members: set[int]
    last_seen: datetime


@dataclass
class Outcome:
    delays: dict[int, timedelta | None] = field(default_factory=dict)  # per spike: None = missed
    incidents_per_spike: dict[int, int] = field(default_factory=dict)
    false_alarms: list[SimIncident] = field(default_factory=list)
    incidents: list[SimIncident] = field(default_factory=list)
    product_quarters: int = 0


def generate(*, start: datetime, days: int, products: int = 20, spikes: int = 12, size: float = 5.0,
             quiet_days: int = 0, seed: int = 12) -> tuple[list[Arrival], list[Injected]]:
    """`days` of traffic from `start` (plus the baseline weeks before it, which the caller's policy needs
    as history), with `spikes` injected after the first `quiet_days`: each `size` times one product's
    usual rate for 24 hours, in one region and one bad lot."""
    rng = random.Random(seed)
    names = [f"产品{n:02d}" for n in range(products)]
    rates = {name: RATES[n % len(RATES)] for n, name in enumerate(names)}
    arrivals: list[Arrival] = []
    hour = start
    end = start + timedelta(days=days)
    regions, weights = zip(*REGIONS, strict=True)
    while hour < end:
        factor = WEEKDAY[hour.weekday()] * HOURS[hour.hour]
        for name in names:
            for _n in range(_poisson(rng, rates[name] * factor)):
                at = hour + timedelta(seconds=rng.randrange(3600))
                lot = f"{name}-L{(at - start).days // 30:02d}"
                arrivals.append(Arrival(0, at, name, lot, rng.choices(regions, weights)[0]))
        hour += timedelta(hours=1)
    injected = []
    spiky = [n for n in names if 2 <= rates[n] <= 8]
    first = start + timedelta(days=quiet_days)
    gap = (end - first - timedelta(days=3)) / max(spikes, 1)
    for number in range(spikes):
        product = spiky[number % len(spiky)]
        at = first + gap * number + timedelta(hours=rng.randrange(24))
        base = rates[product]
        region = REGIONS[number % len(REGIONS)][0]
        extra = round(base * (size - 1))  # on top of the usual traffic: `size` times in all, exactly
        for _n in range(extra):
            arrivals.append(Arrival(0, at + timedelta(seconds=rng.randrange(86400)), product,
                                    f"{product}-BAD{number}", region, number))
        injected.append(Injected(number, product, at, size, base))
    arrivals.sort(key=lambda a: a.at)
    arrivals = [Arrival(i, a.at, a.product, a.lot, a.region, a.injected) for i, a in enumerate(arrivals)]
    ids: dict[int, set[int]] = defaultdict(set)
    for a in arrivals:
        if a.injected is not None:
            ids[a.injected].add(a.id)
    return arrivals, [Injected(s.number, s.product, s.start, s.size, s.base_rate, frozenset(ids[s.number]))
                      for s in injected]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: the means here are small.
    if mean <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def run(policy: IncidentPolicy, arrivals: list[Arrival], *, start: datetime, end: datetime,
        every: timedelta = timedelta(hours=1), close_after: timedelta = timedelta(hours=48)) -> list[SimIncident]:
    """The detector every `every` from `start` to `end`, as `detect` does it against the database: an
    incident per merged spike unless a running one shares an attribute or most of its complaints; a
    running incident is closed (as a person would) once none of its attributes spiked for `close_after`."""
    times = [a.at for a in arrivals]
    by_group: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for a in arrivals:
        for key in policy.keys:
            if key != "cluster":
                by_group[(key, getattr(a, key))].append(a.at)
    running: list[SimIncident] = []
    done: list[SimIncident] = []
    now = start
    while now < end:
        window_start = now - policy.window
        baseline_start = window_start - policy.baseline
        lo, hi = bisect.bisect_left(times, window_start), bisect.bisect_right(times, now)
        recent = [Recent(a.id, a.product, a.lot, a.region) for a in arrivals[lo:hi]]
        total = bisect.bisect_left(times, window_start) - bisect.bisect_left(times, baseline_start)
        same = sum(bisect.bisect_left(times, e) - bisect.bisect_left(times, s) for s, e in same_windows(policy, now))
        share = seasonal_share(policy, same, total)
        groups: dict[tuple[str, str], set[int]] = defaultdict(set)
        for item in recent:
            for key in policy.keys:
                if key != "cluster":
                    groups[(key, item.value(key))].add(item.id)
        groups = {g: m for g, m in groups.items() if len(m) >= policy.min_count}
        parents = {lot: product for lot, product in lot_parents(recent).items() if lot in groups}
        wanted = set(groups) | set(parents.values())
        baseline = {g: bisect.bisect_left(by_group[g], window_start) - bisect.bisect_left(by_group[g], baseline_start)
                    for g in wanted}
        expected = expectations(policy, groups, baseline=baseline, share=share, window_start=window_start,
                                first_seen={g: by_group[g][0] for g in wanted}, parents=parents)
        for group in merge(policy, find_spikes(policy, groups, expected)):
            attributes = set(group.attributes)
            match = next((i for i in running if i.attributes & attributes
                          or len(i.members & group.members) >= policy.merge_overlap * len(group.members)), None)
            if match is None:
                running.append(SimIncident(now, attributes, set(group.members), now))
            else:
                match.attributes |= attributes
                match.members |= group.members
                match.last_seen = now
        for incident in [i for i in running if now - i.last_seen >= close_after]:
            running.remove(incident)
            done.append(incident)
        now += every
    return sorted(done + running, key=lambda i: i.opened_at)


def evaluate(incidents: list[SimIncident], injected: list[Injected], *, products: int, start: datetime,
             end: datetime) -> Outcome:
    outcome = Outcome(incidents=incidents)
    for spike in injected:
        found = [i for i in incidents if i.members & spike.ids]
        outcome.incidents_per_spike[spike.number] = len(found)
        first = min((i.opened_at for i in found), default=None)
        outcome.delays[spike.number] = first - spike.start if first is not None else None
    outcome.false_alarms = [i for i in incidents if not any(i.members & s.ids for s in injected)]
    outcome.product_quarters = round(products * (end - start).days / 91.25)
    return outcome
