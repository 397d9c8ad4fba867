import pytest

from tousu.risk.incidents import IncidentPolicy, is_spike, spikes

POLICY = IncidentPolicy(window_hours=24, baseline_days=28, min_count=5, ratio=3.0)


@pytest.mark.parametrize(("count", "baseline", "spike"), [
    (5, 0, True),  # five in a day where there were none
    (4, 0, False),  # never below the minimum
    (6, 56, True),  # usually 2 a day: 6 is three times that
    (5, 56, False),
    (30, 280, True),  # usually 10 a day
    (29, 280, False),
])
def test_a_spike_is_enough_complaints_and_well_above_the_usual_rate(count, baseline, spike):
    assert is_spike(POLICY, count, baseline)[0] is spike


def test_spikes_are_listed_biggest_first_and_empty_values_are_ignored():
    found = spikes(POLICY, "product", {"热水壶": 9, "": 50, "other": 40, "电饭煲": 6, "吹风机": 2}, {"电饭煲": 28})
    assert [(s.value, s.count) for s in found] == [("热水壶", 9), ("电饭煲", 6)]
    assert found[1].expected == 1.0 and found[1].ratio == 6.0


def test_the_policy_refuses_a_ratio_that_is_no_rise():
    with pytest.raises(ValueError):
        IncidentPolicy(ratio=1)
