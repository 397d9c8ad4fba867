import pytest

from tousu.risk import load_policy
from tousu.risk.neighbours import (
    count_crossed,
    lot_crossed,
    rate_crossed,
    repeat_crossed,
    same_problem_crossed,
)

DEFAULT = load_policy("default")
MANUFACTURING = load_policy("manufacturing")


@pytest.mark.parametrize(("before", "after", "crossed"), [
    (0, 1, True), (1, 2, False), (2, 3, True), (3, 4, False), (0, 5, True), (3, 2, True), (5, 5, False),
])
def test_a_count_crosses_when_it_reaches_a_threshold(before, after, crossed):
    assert count_crossed((1, 3), before, after) is crossed


@pytest.mark.parametrize(("before", "after", "crossed"), [
    ((1000, 299), (1000, 300), True),
    ((1000, 300), (1100, 330), False),
    ((1000, 300), (1100, 300), True),  # more delivered: the rate falls below again
    ((None, None), (10, 2), False),
    ((None, None), (10, 3), True),
    ((0, 0), (0, 5), False),
])
def test_a_lot_crosses_when_its_defect_rate_passes_thirty_percent(before, after, crossed):
    assert rate_crossed(0.30, before, after) is crossed
    assert lot_crossed(MANUFACTURING, before, after) is crossed


def test_only_the_manufacturing_policy_grades_lots_and_same_problem_repeats():
    assert not lot_crossed(DEFAULT, (10, 0), (10, 5))
    assert not same_problem_crossed(DEFAULT, 2, 3)
    assert same_problem_crossed(MANUFACTURING, 2, 3) and not same_problem_crossed(MANUFACTURING, 3, 4)


@pytest.mark.parametrize(("before", "after", "crossed"), [(1, 2, True), (2, 3, False), (3, 4, True), (4, 5, False)])
def test_a_customers_second_and_fourth_complaint_change_the_earlier_ones(before, after, crossed):
    # default: medium after 1 earlier complaint, high after 3
    assert repeat_crossed(DEFAULT, before, after) is crossed
