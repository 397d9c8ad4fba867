"""Mass-incident early warning (R-RA-9) and rising trends (R-RP-4) as plain rules. No Django.

Each group of similar complaints — the same product, lot or region, or a cluster of similar texts — is
compared with its own baseline: its count over the past `baseline_weeks`, scaled by the share of all
complaints that fell, in those weeks, into the same weekday-and-hour window as now (seasonality by weekday
comes from the whole company's traffic, which is large enough to be stable, while each group's level comes
from its own history). A group spikes when its count in the window is at least `min_count`, `ratio` times
the expected count, and improbable under a Poisson model of that expectation (`significance`).

Spikes whose complaints overlap are one event seen through several attributes (a product's bad lot shows
up as the product, the lot and the region at once): `merge` makes them one group, hence one incident.
The complaint type is no grouping key: "product quality" spans unrelated matters.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

ATTRIBUTE_KEYS = ("product", "lot", "region")
CLUSTER = "cluster"  # a group of similar texts, named by the character n-grams they share
GROUP_KEYS = (*ATTRIBUTE_KEYS, CLUSTER)
TREND_KEYS = ("complaint_type", "product")
# The character n-grams that name a text cluster are stored joined by this.
TERM_SEPARATOR = "|"


class IncidentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_hours: int = Field(24, ge=1)  # "recent"
    baseline_weeks: int = Field(8, ge=1)  # what is usual, measured in the weeks before the window
    min_count: int = Field(5, ge=2)  # never fewer complaints than this in the window
    ratio: float = Field(3.0, gt=1)  # and at least this many times the expected count
    significance: float = Field(0.001, gt=0, lt=1)  # and a Poisson tail probability below this
    keys: list[str] = list(GROUP_KEYS)
    # Catch-all values that say nothing in common.
    ignore_values: list[str] = ["other", "其他", "未知", "unknown"]
    # Text clusters: cosine similarity of character 2–3-gram TF-IDF vectors that links two complaints.
    cluster_similarity: float = Field(0.5, gt=0, lt=1)
    # Spikes sharing at least this share of the larger one's complaints are the same event (a region whose
    # rise is mostly other products stays its own).
    merge_overlap: float = Field(0.5, gt=0, le=1)
    # Rising trends (R-RP-4): the last `trend_days` against the baseline weeks before them.
    trend_days: int = Field(7, ge=1)
    trend_significance: float = Field(0.01, gt=0, lt=1)

    @field_validator("keys")
    @classmethod
    def _known_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if key == "complaint_type":
                raise ValueError("complaint_type is too coarse to group an incident by; use product, lot, "
                                 "region or cluster")
            if key not in GROUP_KEYS:
                raise ValueError(f"unknown incident key {key!r}; known: {', '.join(GROUP_KEYS)}")
        return keys

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    @property
    def baseline(self) -> timedelta:
        return timedelta(weeks=self.baseline_weeks)


@dataclass(frozen=True)
class Recent:
    """One complaint of the window, as the detector reads it."""

    id: int
    product: str = ""
    lot: str = ""
    region: str = ""
    text: str = ""

    def value(self, key: str) -> str:
        return str(getattr(self, key, ""))


@dataclass(frozen=True)
class Spike:
    key: str
    value: str
    count: int
    expected: float  # complaints a window usually brings for this group, seasonality included
    p_value: float  # Poisson probability of at least `count` with that expectation
    members: frozenset[int] = frozenset()

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected else math.inf


@dataclass
class SpikeGroup:
    """Spikes of one event: one incident."""

    spikes: list[Spike]
    members: set[int] = field(default_factory=set)

    @property
    def primary(self) -> Spike:
        """The spike the incident is named after: the most improbable, then the biggest."""
        return min(self.spikes, key=lambda s: (s.p_value, -s.count, GROUP_KEYS.index(s.key), s.value))

    @property
    def attributes(self) -> list[tuple[str, str]]:
        return sorted({(s.key, s.value) for s in self.spikes}, key=lambda a: (GROUP_KEYS.index(a[0]), a[1]))


def poisson_tail(count: int, expected: float) -> float:
    """P(X ≥ count) for X ~ Poisson(expected)."""
    if count <= 0:
        return 1.0
    if expected <= 0:
        return 0.0
    # Sum the terms below `count` in log space (no overflow for large counts or expectations).
    log_terms = [-expected + i * math.log(expected) - math.lgamma(i + 1) for i in range(count)]
    top = max(log_terms)
    below = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    if below < 0.5:
        return max(0.0, 1.0 - below)
    # Near 1 the subtraction loses precision: sum the upper tail instead, until its terms vanish.
    log_upper, i = [], count
    while True:
        term = -expected + i * math.log(expected) - math.lgamma(i + 1)
        log_upper.append(term)
        if i > expected and term < log_upper[0] - 40:
            break
        i += 1
    top = max(log_upper)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in log_upper))


def seasonal_share(policy: IncidentPolicy, same_windows: int, total: int) -> float:
    """The share of a baseline period's complaints that a window like this one usually brings.

    `same_windows`: all complaints in the same weekday-and-hours window of each baseline week (summed over
    the weeks); `total`: all complaints of the baseline weeks. Smoothed toward the flat share so a young
    database is not thrown by a handful of complaints."""
    flat = policy.window_hours / (policy.baseline_weeks * 7 * 24)
    prior = 50.0  # pseudo-complaints spread evenly
    return (same_windows / policy.baseline_weeks + prior * flat) / (total + prior)


def same_windows(policy: IncidentPolicy, now: datetime) -> list[tuple[datetime, datetime]]:
    """The window ending at `now`, one week back, two weeks back …: where seasonality is read."""
    return [(now - timedelta(weeks=k) - policy.window, now - timedelta(weeks=k))
            for k in range(1, policy.baseline_weeks + 1)]


def expected_count(policy: IncidentPolicy, baseline_count: int, share: float, *, window_start: datetime,
                   first_seen: datetime | None = None, fallback: float = 0.0) -> float:
    """What the window usually brings for a group: its baseline count times the seasonal share, scaled up
    when the group was seen for only part of the baseline weeks. A group younger than a week (a new lot)
    is expected to bring at least `fallback` — its product's expectation: a new lot takes over the old
    one's complaints, and that is no spike."""
    if first_seen is None or first_seen >= window_start:
        return fallback
    seen = min(policy.baseline, window_start - first_seen)
    expected = baseline_count * share * (policy.baseline / seen)
    return max(expected, fallback) if seen < timedelta(weeks=1) else expected


def judge(policy: IncidentPolicy, key: str, value: str, count: int, expected: float,
          members: Iterable[int] = ()) -> Spike | None:
    if count < policy.min_count or count < policy.ratio * expected:
        return None
    p_value = poisson_tail(count, expected)
    if p_value >= policy.significance:
        return None
    return Spike(key, value, count, expected, p_value, frozenset(members))


def grouped(policy: IncidentPolicy, recent: Sequence[Recent]) -> dict[tuple[str, str], set[int]]:
    """The window's complaints by (key, value) for the attribute keys the policy uses."""
    groups: dict[tuple[str, str], set[int]] = defaultdict(set)
    for key in policy.keys:
        if key == CLUSTER:
            continue
        for item in recent:
            value = item.value(key)
            if value and value not in policy.ignore_values:
                groups[(key, value)].add(item.id)
    return groups


def expectations(policy: IncidentPolicy, groups: Iterable[tuple[str, str]], *, baseline: Mapping[tuple[str, str], int],
                 share: float, window_start: datetime, first_seen: Mapping[tuple[str, str], datetime],
                 parents: Mapping[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], float]:
    """`expected_count` for each group; `parents` names the group whose expectation a young one falls
    back on (a lot → its product)."""
    def one(group: tuple[str, str]) -> float:
        return expected_count(policy, baseline.get(group, 0), share, window_start=window_start,
                              first_seen=first_seen.get(group))

    own = {group: one(group) for group in groups}
    for group, parent in parents.items():
        if group in own:
            fallback = own[parent] if parent in own else one(parent)
            own[group] = expected_count(policy, baseline.get(group, 0), share, window_start=window_start,
                                        first_seen=first_seen.get(group), fallback=fallback)
    return own


def lot_parents(recent: Sequence[Recent]) -> dict[tuple[str, str], tuple[str, str]]:
    """Each lot of the window → the product most of its complaints name."""
    products: dict[str, Counter[str]] = defaultdict(Counter)
    for item in recent:
        if item.lot and item.product:
            products[item.lot][item.product] += 1
    return {("lot", lot): ("product", counts.most_common(1)[0][0]) for lot, counts in products.items()}


def find_spikes(policy: IncidentPolicy, groups: Mapping[tuple[str, str], set[int]],
                expected: Mapping[tuple[str, str], float]) -> list[Spike]:
    """Each group judged against its own expected count."""
    found = []
    for (key, value), members in groups.items():
        spike = judge(policy, key, value, len(members), expected.get((key, value), 0.0), members)
        if spike is not None:
            found.append(spike)
    return sorted(found, key=lambda s: (-s.count, s.key, s.value))


def merge(policy: IncidentPolicy, spikes: Sequence[Spike]) -> list[SpikeGroup]:
    """Spikes that share enough complaints become one group (union–find over the overlaps)."""
    parent = list(range(len(spikes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(spikes):
        for j in range(i + 1, len(spikes)):
            b = spikes[j]
            larger = max(len(a.members), len(b.members))
            if larger and len(a.members & b.members) >= policy.merge_overlap * larger:
                parent[root(j)] = root(i)
    by_root: dict[int, SpikeGroup] = {}
    for i, spike in enumerate(spikes):
        group = by_root.setdefault(root(i), SpikeGroup([]))
        group.spikes.append(spike)
        group.members |= spike.members
    return sorted(by_root.values(), key=lambda g: (-len(g.members), g.primary.key, g.primary.value))


# --- Text clusters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextCluster:
    members: frozenset[int]
    terms: tuple[str, ...]  # the n-grams weighing most in its centre: its name and its test

    @property
    def value(self) -> str:
        return TERM_SEPARATOR.join(self.terms)


def _vectorizer():
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True, min_df=1)


def text_clusters(policy: IncidentPolicy, items: Sequence[tuple[int, str]], *, terms: int = 4) -> list[TextCluster]:
    """Groups of similar texts among `items` ((id, text)): connected components of the graph that links
    two texts whose TF-IDF cosine similarity reaches `cluster_similarity`; only groups of `min_count`."""
    items = [(pk, text) for pk, text in items if text.strip()]
    if len(items) < policy.min_count:
        return []
    from scipy.sparse.csgraph import connected_components

    vectorizer = _vectorizer()
    matrix = vectorizer.fit_transform([text for _pk, text in items])
    similar = (matrix @ matrix.T) >= policy.cluster_similarity
    _n, labels = connected_components(similar, directed=False)
    names = vectorizer.get_feature_names_out()
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[int(label)].append(index)
    clusters = []
    for rows in members.values():
        if len(rows) < policy.min_count:
            continue
        centre = matrix[rows].mean(axis=0).A1
        # Terms every member shares rank first: they make a test a later complaint can pass.
        present = (matrix[rows] > 0).sum(axis=0).A1
        order = sorted(range(len(centre)), key=lambda i: (-present[i], -centre[i]))
        chosen = [str(names[i]).strip() for i in order if str(names[i]).strip()][:terms]
        clusters.append(TextCluster(frozenset(items[r][0] for r in rows), tuple(chosen)))
    return clusters


def matches_cluster(value: str, text: str) -> bool:
    """Does a text belong to the cluster named `value`? It must contain most of its terms."""
    terms = [t for t in value.split(TERM_SEPARATOR) if t]
    if not terms:
        return False
    return sum(term in text for term in terms) * 4 >= len(terms) * 3


def cluster_baseline(cluster: TextCluster, baseline_texts: Sequence[str]) -> int:
    """How many texts of the baseline weeks belong to the cluster (by the same test as later arrivals)."""
    return sum(matches_cluster(cluster.value, text) for text in baseline_texts)


# --- Rising trends (R-RP-4) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    key: str  # complaint_type or product
    value: str
    count: int  # in the last `trend_days`
    baseline_count: int  # over the baseline weeks before them
    expected: float  # what `trend_days` usually bring
    p_value: float

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected else math.inf

    def as_dict(self) -> dict:
        return {"key": self.key, "value": self.value, "count": self.count, "baseline_count": self.baseline_count,
                "expected": round(self.expected, 3), "ratio": None if math.isinf(self.ratio) else round(self.ratio, 3),
                "p_value": self.p_value}


def rising(policy: IncidentPolicy, key: str, recent: Mapping[str, int], baseline: Mapping[str, int]) -> list[Trend]:
    """The values of `key` whose count in the last `trend_days` is significantly above what their own
    baseline weeks predict (whole weeks, so the weekday pattern cancels out), most significant first."""
    scale = policy.trend_days / (policy.baseline_weeks * 7)
    found = []
    for value, count in recent.items():
        if not value or value in policy.ignore_values or count < policy.min_count:
            continue
        before = baseline.get(value, 0)
        expected = before * scale
        if count <= expected:
            continue
        p_value = poisson_tail(count, expected)
        if p_value < policy.trend_significance:
            found.append(Trend(key, value, count, before, expected, p_value))
    return sorted(found, key=lambda t: (t.p_value, -t.count, t.value))
