"""Rising types and products (R-RP-4): the last `trend_days` against each value's own baseline weeks,
with the evidence (counts, baseline, expected count, Poisson significance). Reads only."""

from datetime import datetime, timedelta

from django.db.models import Count

from tousu.assessments.policies import active_policy
from tousu.complaints.models import Complaint
from tousu.risk.incidents import TREND_KEYS, IncidentPolicy, Trend, rising


def rising_trends(now: datetime, *, days: int | None = None) -> dict:
    """`{"from", "to", "baseline_from", "days", "baseline_weeks", "rising": [Trend.as_dict() …]}`."""
    _version, policy = active_policy()
    rules: IncidentPolicy = policy.incidents
    if days is not None:
        rules = rules.model_copy(update={"trend_days": days})
    start = now - timedelta(days=rules.trend_days)
    baseline_start = start - rules.baseline
    found: list[Trend] = []
    for key in TREND_KEYS:
        recent = _counts(Complaint.objects.filter(received_at__gte=start, received_at__lt=now), key)
        candidates = [value for value, n in recent.items() if n >= rules.min_count]
        if not candidates:
            continue
        before = _counts(Complaint.objects.filter(received_at__gte=baseline_start, received_at__lt=start,
                                                  **{f"{key}__in": candidates}), key)
        found.extend(rising(rules, key, recent, before))
    found.sort(key=lambda t: (t.p_value, -t.count, t.key, t.value))
    return {"from": start.isoformat(), "to": now.isoformat(), "baseline_from": baseline_start.isoformat(),
            "days": rules.trend_days, "baseline_weeks": rules.baseline_weeks,
            "rising": [t.as_dict() for t in found]}


def _counts(queryset, key: str) -> dict[str, int]:
    return dict(queryset.exclude(**{key: ""}).values(key).annotate(n=Count("id")).values_list(key, "n"))
