"""Working time summed over groups of moments equals the calendar's own count moment by moment, across
National Day 2026 (holidays, make-up working days) and with business hours and a lunch break."""

import random
from datetime import datetime, time, timedelta

import pytest

from tousu.reports.worktime import DAY, EPOCH, MomentGroup, WorkingTime
from tousu.timeline import SHANGHAI, BusinessHours, WorkCalendar


def _moment_group(moments: list[datetime], working: WorkingTime) -> dict[tuple, MomentGroup]:
    groups: dict[tuple, list[int]] = {}
    for moment in moments:
        local = moment.astimezone(SHANGHAI)
        day = (local.date() - EPOCH).days
        seconds = local.hour * 3600 + local.minute * 60 + local.second
        groups.setdefault((day, working.stretch_of(seconds)), []).append(seconds)
    return {key: MomentGroup(key[0], key[1], len(values), sum(values)) for key, values in groups.items()}


@pytest.mark.parametrize("calendar", [
    WorkCalendar(),
    WorkCalendar(business_hours=BusinessHours(start=time(9), end=time(18), lunch=(time(12), time(13, 30)))),
    WorkCalendar(business_hours=BusinessHours(start=time(8, 30), end=time(17), lunch=None)),
], ids=["whole days", "business hours with lunch", "business hours"])
def test_grouped_working_time_equals_the_calendar_clock_by_clock(calendar):
    working = WorkingTime(calendar)
    rng = random.Random(7)
    start = datetime(2026, 9, 24, tzinfo=SHANGHAI)
    pairs = []
    for _ in range(400):
        begin = start + timedelta(seconds=rng.randrange(25 * DAY))
        end = begin + timedelta(seconds=rng.randrange(-2 * DAY, 12 * DAY))
        pairs.append((begin, end))
    # Pairs that share the days and stretches of both ends are summed as one group pair, as the database groups them.
    by_key: dict[tuple, list[tuple[datetime, datetime]]] = {}
    for begin, end in pairs:
        key = tuple(_moment_group([begin], working)) + tuple(_moment_group([end], working))
        by_key.setdefault(key, []).append((begin, end))
    grouped = 0.0
    for members in by_key.values():
        (begin_group,) = _moment_group([b for b, _e in members], working).values()
        (end_group,) = _moment_group([e for _b, e in members], working).values()
        grouped += working.seconds_between([(begin_group, end_group)])
    one_by_one = sum(calendar.working_seconds_between(b, e) if e >= b else -calendar.working_seconds_between(e, b)
                     for b, e in pairs)
    assert grouped == pytest.approx(one_by_one)


def test_national_day_2026_counts_only_working_days_and_the_saturday_make_up_day():
    working = WorkingTime(WorkCalendar())
    day = (datetime(2026, 9, 30).date() - EPOCH).days
    # 30 Sep (Wed) to 13 Oct (Tue): 1–7 Oct off, 8, 9 Oct, Saturday 10 Oct (make-up), 12 Oct worked.
    assert working.working_days_between(day, day + 13) == 5
    assert working.is_working(day + 10) and not working.is_working(day + 11)
