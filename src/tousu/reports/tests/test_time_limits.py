"""Times against their limits on the working-day calendar: across National Day 2026 with its make-up
working days, and with a clock paused while the complaint waited for the customer."""

from datetime import date

import pytest

from tousu.reports.tests.helpers import LOW, MEDIUM, at, complaint, meet, review_of, stage
from tousu.testing import make_user
from tousu.timeline import SHANGHAI
from tousu.workflow.actions import deadlines
from tousu.workflow.actions.transitions import acknowledge

pytestmark = pytest.mark.django_db
OCTOBER = (date(2026, 9, 30), date(2026, 10, 31))


def _limit(entry: dict, **duration) -> dict:
    return next(limit for limit in entry["limits"] if limit["limit"] == duration)


def test_national_day_counts_only_working_days_and_the_saturday_make_up_day():
    # Received Wednesday 30 September 10:00. 1–7 October are off; Saturday 10 October is worked.
    # Five working days: 8, 9, 10, 12, 13 October → due Tuesday 13 October 10:00.
    early = complaint(LOW, received=at(2026, 9, 30, 10), phone="13900000101")
    late = complaint(LOW, received=at(2026, 9, 30, 10), phone="13900000102")
    clock = early.deadlines.get(stage="solution")
    assert clock.duration == {"working_days": 5} and clock.due_at == at(2026, 10, 13, 10)
    meet(early, "solution", at(2026, 10, 12, 10))  # a working day early: 4 of 5 used
    meet(late, "solution", at(2026, 10, 14, 16))  # 1¼ working days late: 6.25 of 5 used
    # First response within 1 working day: due Thursday 8 October 10:00, met an hour before.
    meet(early, "first_response", at(2026, 10, 8, 9))
    # Acknowledged within 24 hours (calendar hours, holiday or not): after 2 hours.
    meet(early, "acknowledge", at(2026, 9, 30, 12))
    review = review_of(*OCTOBER, now=at(2026, 11, 2, 9))
    solution = stage(review, "solution")
    assert (solution["on_time"], solution["late"], solution["on_time_rate"]) == (1, 1, 0.5)
    five_days = _limit(solution, working_days=5)
    assert five_days["unit"] == "working_days"
    assert five_days["mean_used"] == pytest.approx((4 + 6.25) / 2, abs=0.01)
    assert five_days["mean_used_share"] == pytest.approx(10.25 / 10, abs=0.001)
    first = _limit(stage(review, "first_response"), working_days=1)
    assert first["met"] == 1 and first["mean_used"] == pytest.approx(1 - 1 / 24, abs=0.01)
    ack = _limit(stage(review, "acknowledge"), hours=24.0)
    assert ack["on_time"] == 1 and ack["overdue"] == 1 and ack["mean_used"] == 2.0  # the other never acknowledged


def test_a_limit_in_hours_counts_the_holiday_hours_too():
    # Medium risk: the solution within 48 hours, holiday or not.
    c = complaint(MEDIUM, received=at(2026, 9, 30, 10), phone="13900000111")
    assert c.deadlines.get(stage="solution").due_at == at(2026, 10, 2, 10)
    meet(c, "solution", at(2026, 10, 3, 10))
    forty_eight = _limit(stage(review_of(*OCTOBER, now=at(2026, 11, 2, 9)), "solution"), hours=48.0)
    assert (forty_eight["late"], forty_eight["mean_used"], forty_eight["mean_used_share"]) == (1, 72.0, 1.5)


def test_time_waiting_for_the_customer_is_not_counted():
    agent = make_user("agent")
    # Monday 2 November 10:00, five working days: due Monday 9 November 10:00.
    waited = complaint(LOW, received=at(2026, 11, 2, 10), phone="13900000121")
    acknowledge(waited, by=agent, now=at(2026, 11, 2, 11))
    # Waits for the customer from Tuesday 10:00 to Thursday 10:00: two working days stand still.
    deadlines.pause(waited, by=agent, reason="等客户补充照片", now=at(2026, 11, 3, 10))
    deadlines.resume(waited, by=agent, now=at(2026, 11, 5, 10))
    clock = waited.deadlines.get(stage="solution")
    assert clock.due_at.astimezone(SHANGHAI) == at(2026, 11, 11, 10) and clock.paused_seconds == 2 * 86400
    meet(waited, "solution", at(2026, 11, 10, 10))  # Tuesday 10 November: a working day early
    still_waiting = complaint(LOW, received=at(2026, 11, 2, 10), phone="13900000122")
    acknowledge(still_waiting, by=agent, now=at(2026, 11, 2, 11))
    deadlines.pause(still_waiting, by=agent, reason="等客户回复", now=at(2026, 11, 3, 10))
    review = review_of(date(2026, 11, 1), date(2026, 11, 30), now=at(2026, 12, 3, 9))
    solution = stage(review, "solution")
    assert (solution["on_time"], solution["paused"], solution["overdue"], solution["on_time_rate"]) == (1, 1, 0, 1.0)
    assert _limit(solution, working_days=5)["mean_used"] == pytest.approx(4.0, abs=0.01)
    assert stage(review, "acknowledge")["on_time"] == 2  # both acknowledged within the hour


def test_running_clocks_are_not_decided_yet():
    complaint(LOW, received=at(2026, 11, 30, 10), phone="13900000131")
    review = review_of(date(2026, 11, 1), date(2026, 11, 30), now=at(2026, 11, 30, 12))
    solution = stage(review, "solution")
    assert (solution["running"], solution["overdue"], solution["on_time_rate"]) == (1, 0, None)
