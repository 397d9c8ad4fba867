"""Mass-incident early warning (R-RA-9) as a plain rule: a group of similar complaints (same product,
lot, region or topic) whose count in the recent window is well above its usual rate. No Django."""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class IncidentPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    window_hours: int = Field(24, ge=1)  # "recent"
    baseline_days: int = Field(28, ge=1)  # what is usual, measured before the window
    min_count: int = Field(5, ge=2)  # never fewer complaints than this in the window
    ratio: float = Field(3.0, gt=1)  # and at least this many times the usual rate
    keys: list[str] = ["product", "lot", "region", "complaint_type"]
    # Catch-all values that say nothing in common (the "other" type).
    ignore_values: list[str] = ["other", "其他"]


@dataclass(frozen=True)
class Spike:
    key: str
    value: str
    count: int
    expected: float  # complaints a window usually brings for this group

    @property
    def ratio(self) -> float:
        return self.count / self.expected if self.expected else float("inf")


def is_spike(policy: IncidentPolicy, count: int, baseline_count: int) -> tuple[bool, float]:
    """`count` in the window against `baseline_count` over the baseline period before it."""
    windows = policy.baseline_days * 24 / policy.window_hours
    expected = baseline_count / windows
    return count >= policy.min_count and count >= policy.ratio * expected, expected


def spikes(policy: IncidentPolicy, key: str, recent: dict[str, int], baseline: dict[str, int]) -> list[Spike]:
    found = []
    for value, count in recent.items():
        if not value or value in policy.ignore_values:
            continue
        spike, expected = is_spike(policy, count, baseline.get(value, 0))
        if spike:
            found.append(Spike(key, value, count, expected))
    return sorted(found, key=lambda s: (-s.count, s.value))
