import math
from datetime import UTC, datetime, timedelta

import pytest

from tousu.risk.incidents import (
    IncidentPolicy,
    Recent,
    expectations,
    expected_count,
    find_spikes,
    grouped,
    judge,
    matches_cluster,
    merge,
    poisson_tail,
    seasonal_share,
    text_clusters,
)

POLICY = IncidentPolicy(window_hours=24, baseline_weeks=4, min_count=5, ratio=3.0, significance=0.001)
FLAT = 1 / 28  # a day of four weeks


def test_the_poisson_tail_matches_the_textbook_values():
    assert poisson_tail(0, 3.0) == 1.0
    assert math.isclose(poisson_tail(1, 2.0), 1 - math.exp(-2))
    assert math.isclose(poisson_tail(3, 1.0), 1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_tail(5, 0.0) == 0.0
    assert 0 < poisson_tail(1500, 1000.0) < 1e-40  # large counts neither overflow nor lose the tail
    assert math.isclose(poisson_tail(900, 1000.0), 0.9992, abs_tol=2e-4)


@pytest.mark.parametrize(("count", "baseline", "spike"), [
    (5, 0, True),  # five in a day where there were none
    (4, 0, False),  # never below the minimum
    (9, 56, True),  # usually 2 a day: 9 is improbable (p ≈ 0.0002)
    (8, 56, False),  # four times the usual, but two a day bring eight now and then (p ≈ 0.001)
    (29, 280, False),  # usually 10 a day: improbable, yet under three times the usual
    (30, 280, True),
])
def test_a_spike_is_enough_complaints_above_the_expected_count_and_improbable(count, baseline, spike):
    assert (judge(POLICY, "product", "热水壶", count, baseline * FLAT) is not None) is spike


def test_the_weekday_share_weighs_the_expectation():
    busy_monday = seasonal_share(POLICY, same_windows=500, total=1400)  # Mondays bring 5/14 of the traffic
    assert busy_monday > 2 * FLAT
    assert judge(POLICY, "product", "热水壶", 8, 56 * busy_monday) is None  # 8 on a Monday is usual here
    assert seasonal_share(POLICY, 0, 0) == pytest.approx(FLAT)  # nothing known yet: flat


def test_empty_and_catch_all_values_form_no_group():
    recent = [Recent(i, product="热水壶" if i % 2 else "", region="其他") for i in range(10)]
    assert grouped(POLICY, recent) == {("product", "热水壶"): {1, 3, 5, 7, 9}}


def test_spikes_sharing_their_complaints_merge_into_one_group():
    recent = ([Recent(i, product="门锁 X3", lot="L7", region="杭州") for i in range(8)]
              + [Recent(100 + i, product="扫地机 S7", region="北京") for i in range(6)])
    spikes = find_spikes(POLICY, grouped(POLICY, recent), {})
    assert len(spikes) == 5
    groups = merge(POLICY, spikes)
    assert [g.attributes for g in groups] == [
        [("product", "门锁 X3"), ("lot", "L7"), ("region", "杭州")],
        [("product", "扫地机 S7"), ("region", "北京")]]
    assert groups[0].members == set(range(8))


def test_a_region_that_is_mostly_other_products_stays_its_own_group():
    recent = ([Recent(i, product="门锁 X3", region="杭州") for i in range(6)]
              + [Recent(100 + i, product=f"产品{i}", region="杭州") for i in range(20)])
    groups = merge(POLICY, find_spikes(POLICY, grouped(POLICY, recent), {}))
    assert sorted(len(g.members) for g in groups) == [6, 26]


def test_a_new_lot_is_expected_to_bring_what_its_product_brings():
    window_start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    young = window_start - timedelta(days=2)
    parents = {("lot", "L9"): ("product", "门锁 X3")}
    expected = expectations(POLICY, [("lot", "L9")], baseline={("product", "门锁 X3"): 224, ("lot", "L9"): 4},
                            share=FLAT, window_start=window_start, parents=parents,
                            first_seen={("product", "门锁 X3"): window_start - timedelta(weeks=10), ("lot", "L9"): young})
    assert expected[("lot", "L9")] == pytest.approx(8.0)  # the product's 8 a day, not the lot's 2 in 2 days
    assert expected_count(POLICY, 14, FLAT, window_start=window_start, first_seen=window_start - timedelta(weeks=1)) \
        == pytest.approx(2.0)  # seen for one week of four: 14 in that week is 2 a day
    assert expected_count(POLICY, 0, FLAT, window_start=window_start) == 0.0  # never seen


def test_the_type_is_refused_as_a_grouping_key():
    with pytest.raises(ValueError, match="too coarse"):
        IncidentPolicy(keys=["product", "complaint_type"])
    with pytest.raises(ValueError, match="unknown incident key"):
        IncidentPolicy(keys=["colour"])
    with pytest.raises(ValueError):
        IncidentPolicy(ratio=1)


def test_similar_texts_form_a_cluster_named_by_the_terms_they_share():
    lock = [(i, f"智能门锁打不开了，指纹识别失灵，第{i}次") for i in range(6)]
    others = [(100, "快递三天没到"), (101, "客服态度很差"), (102, "退款一直不到账"), (103, "发票开错了")]
    [cluster] = text_clusters(POLICY, lock + others)
    assert cluster.members == frozenset(range(6))
    assert matches_cluster(cluster.value, "我家的智能门锁打不开，指纹识别失灵")
    assert not matches_cluster(cluster.value, "快递三天没到")
