from datetime import UTC, datetime

import pytest

from tousu.complaints.tracking import ALPHABET, is_valid, new_tracking_number, normalise
from tousu.testing import make_complaint

AT = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)


def test_it_reads_year_and_month_then_five_characters():
    number = new_tracking_number(AT)
    assert number.startswith("TS2611-")
    assert len(number) == 12
    assert is_valid(number)


def test_its_alphabet_has_no_look_alikes():
    for confusable in "01OILU":
        assert confusable not in ALPHABET


def test_numbers_are_not_sequential():
    numbers = {new_tracking_number(AT) for _ in range(2000)}
    assert len(numbers) > 1990  # random, so practically never equal
    tails = sorted(n[-5:] for n in numbers)
    gaps = {int.from_bytes(b.encode(), "big") - int.from_bytes(a.encode(), "big") for a, b in zip(tails, tails[1:], strict=False)}
    assert len(gaps) > 100  # no fixed step between neighbours: not a sequence


def test_normalise_accepts_what_a_customer_reads_back():
    assert normalise(" ts2611 7k4q9 ") == "TS2611-7K4Q9"
    assert normalise("TS261O-7K4Q9") == "TS2610-7K4Q9"
    assert normalise("ts2611-7k4q9") == "TS2611-7K4Q9"


@pytest.mark.django_db
def test_stored_complaints_get_distinct_valid_numbers():
    numbers = [make_complaint().tracking_number for _ in range(20)]
    assert len(set(numbers)) == 20
    assert all(is_valid(n) for n in numbers)
