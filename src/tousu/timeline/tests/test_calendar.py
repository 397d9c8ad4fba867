"""The official schedules (国务院办公厅 notices for 2024, 2025 and 2026), written out here independently of
the `holidays` package, checked day by day for the whole year."""

from datetime import date, datetime, time, timedelta

import pytest

from tousu.timeline.calendar import SHANGHAI, BusinessHours, WorkCalendar

# (first day off, last day off) spans, and the make-up working days (调休上班).
OFFICIAL = {
    2024: ([("01-01", "01-01"), ("02-10", "02-17"), ("04-04", "04-06"), ("05-01", "05-05"), ("06-10", "06-10"),
            ("09-15", "09-17"), ("10-01", "10-07")],
           ["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"]),
    2025: ([("01-01", "01-01"), ("01-28", "02-04"), ("04-04", "04-06"), ("05-01", "05-05"), ("05-31", "06-02"),
            ("10-01", "10-08")],
           ["01-26", "02-08", "04-27", "09-28", "10-11"]),
    2026: ([("01-01", "01-03"), ("02-15", "02-23"), ("04-04", "04-06"), ("05-01", "05-05"), ("06-19", "06-21"),
            ("09-25", "09-27"), ("10-01", "10-07")],
           ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]),
}
CAL = WorkCalendar()


def _day(year: int, month_day: str) -> date:
    return date.fromisoformat(f"{year}-{month_day}")


def _expected(year: int) -> dict[date, bool]:
    spans, makeup = OFFICIAL[year]
    off = set()
    for first, last in spans:
        day = _day(year, first)
        while day <= _day(year, last):
            off.add(day)
            day += timedelta(days=1)
    work = {_day(year, d) for d in makeup}
    expected = {}
    day = date(year, 1, 1)
    while day.year == year:
        expected[day] = day in work or (day not in off and day.weekday() < 5)
        day += timedelta(days=1)
    return expected


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_day_of_the_official_year_is_working_or_not_as_announced(year):
    wrong = {d: expected for d, expected in _expected(year).items() if CAL.is_working_day(d) != expected}
    assert wrong == {}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_every_make_up_day_is_a_weekend_day_that_is_worked(year):
    for month_day in OFFICIAL[year][1]:
        day = _day(year, month_day)
        assert day.weekday() >= 5 and CAL.is_working_day(day)


def test_a_year_without_an_official_schedule_is_provisional():
    assert not WorkCalendar.is_provisional(2026)
    assert WorkCalendar.is_provisional(2030)
    # provisional years still know New Year and National Day
    assert not CAL.is_working_day(date(2030, 10, 1)) and not CAL.is_working_day(date(2030, 1, 1))


def test_company_days_override_the_official_calendar():
    cal = WorkCalendar(extra_holidays=frozenset({date(2026, 12, 31)}), extra_working_days=frozenset({date(2026, 12, 5)}))
    assert not cal.is_working_day(date(2026, 12, 31)) and CAL.is_working_day(date(2026, 12, 31))
    assert cal.is_working_day(date(2026, 12, 5)) and not CAL.is_working_day(date(2026, 12, 5))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("start", "days", "due"), [
    ("2026-09-30T10:00", 5, "2026-10-13T10:00"),  # across National Day, with the 10-10 make-up Saturday
    ("2026-02-13T16:00", 1, "2026-02-14T16:00"),  # the Saturday before Spring Festival is worked
    ("2026-02-14T09:00", 1, "2026-02-24T09:00"),  # the whole Spring Festival break
    ("2026-02-14T09:00", 4, "2026-02-27T09:00"),
    ("2026-02-14T09:00", 5, "2026-02-28T09:00"),  # … and the Saturday after it
    ("2025-09-30T18:30", 1, "2025-10-09T18:30"),  # 8-day National Day + Mid-Autumn 2025
    ("2024-05-10T11:00", 1, "2024-05-11T11:00"),  # Saturday 2024-05-11 is a make-up day
    ("2026-11-21T10:00", 1, "2026-11-23T10:00"),  # from a Saturday: Monday counts as the first
    ("2026-11-23T10:00", 0, "2026-11-23T10:00"),
    ("2025-12-31T09:00", 1, "2026-01-04T09:00"),  # New Year 2026: Sunday 01-04 is worked
    ("2025-12-31T09:00", 2, "2026-01-05T09:00"),
    ("2026-01-02T09:00", 1, "2026-01-04T09:00"),
])
def test_working_days_are_counted_across_holidays_and_make_up_days(start, days, due):
    assert CAL.add_working_days(at(start), days) == at(due)


OFFICE = WorkCalendar(business_hours=BusinessHours(time(9), time(18), (time(12), time(13))))


@pytest.mark.parametrize(("start", "hours", "due"), [
    ("2026-11-23T10:00", 1, "2026-11-23T11:00"),
    ("2026-11-23T11:30", 1, "2026-11-23T13:30"),  # the lunch break does not count
    ("2026-11-23T17:00", 2, "2026-11-24T10:00"),  # evening and night do not count
    ("2026-11-20T17:00", 2, "2026-11-23T10:00"),  # nor does the weekend
    ("2026-11-23T07:00", 1, "2026-11-23T10:00"),  # before opening
    ("2026-09-30T17:00", 8, "2026-10-08T17:00"),  # 1h on 09-30, then 7h after the holiday
    ("2026-11-23T12:30", 0.5, "2026-11-23T13:30"),
])
def test_working_hours_count_only_business_hours_of_working_days(start, hours, due):
    assert OFFICE.add_working_hours(at(start), hours) == at(due)


def test_working_days_with_business_hours_start_the_next_morning_after_closing():
    assert OFFICE.add_working_days(at("2026-11-23T19:00"), 1) == at("2026-11-25T09:00")
    assert OFFICE.add_working_days(at("2026-11-23T07:00"), 1) == at("2026-11-24T09:00")


def test_working_time_between_two_moments_skips_holidays():
    assert CAL.working_seconds_between(at("2026-09-30T12:00"), at("2026-10-08T12:00")) == 24 * 3600
    assert OFFICE.working_seconds_between(at("2026-11-23T08:00"), at("2026-11-23T20:00")) == 8 * 3600
    assert OFFICE.working_seconds_between(at("2026-11-23T20:00"), at("2026-11-23T08:00")) == 0


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_days(datetime(2026, 1, 5, 9), 1)


def test_lunch_outside_the_working_hours_is_refused():
    with pytest.raises(ValueError, match="lunch"):
        BusinessHours(time(9), time(18), (time(8), time(10)))


def test_an_operators_time_without_offset_is_shanghai_time():
    from tousu.timeline import parse_local

    assert parse_local("2026-09-30T10:00") == at("2026-09-30T10:00")
    assert parse_local("2026-09-30T02:00+00:00") == at("2026-09-30T10:00")
    with pytest.raises(ValueError, match="not an ISO 8601"):
        parse_local("yesterday")
