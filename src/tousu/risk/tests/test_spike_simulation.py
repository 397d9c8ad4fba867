"""The early-warning rule over a generated half year: a quiet quarter, then a quarter with injected 5×
spikes of known time (the full year's figures are bench/early_warning.py's, in docs/early-warning.md)."""

from datetime import datetime, timedelta

import pytest

from tousu.risk.incidents import IncidentPolicy
from tousu.risk.spike_simulation import evaluate, generate, run
from tousu.timeline import SHANGHAI

POLICY = IncidentPolicy()
START = datetime(2025, 1, 6, tzinfo=SHANGHAI)
END = START + timedelta(days=182)
PRODUCTS = 20


@pytest.fixture(scope="module")
def outcome():
    warm = POLICY.baseline + POLICY.window
    arrivals, injected = generate(start=START - warm, days=182 + warm.days, products=PRODUCTS, spikes=6,
                                  quiet_days=warm.days + 91, seed=7)
    incidents = run(POLICY, arrivals, start=START, end=END)
    return evaluate(incidents, injected, products=PRODUCTS, start=START, end=END), injected


def test_every_5x_spike_is_found_within_one_window(outcome):
    result, _injected = outcome
    assert result.delays and all(d is not None and d <= POLICY.window for d in result.delays.values())


def test_each_spike_opens_exactly_one_incident(outcome):
    result, _injected = outcome
    assert set(result.incidents_per_spike.values()) == {1}


def test_quiet_data_brings_fewer_than_one_false_alarm_per_product_per_quarter(outcome):
    result, _injected = outcome
    assert len(result.false_alarms) / result.product_quarters < 1


def test_the_quiet_quarter_has_no_incident_that_links_an_injected_complaint(outcome):
    result, injected = outcome
    first_spike = min(s.start for s in injected)
    assert first_spike >= START + timedelta(days=91)
    assert all(not (i.members & s.ids) for i in result.incidents if i.opened_at < first_spike for s in injected)
