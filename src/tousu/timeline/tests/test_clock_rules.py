"""The regulators' clocks as plain rules: limits across the holidays with their make-up days, the 45
working days of mediation, the three-year time bar, the second extension, new facts of a repeat."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tousu.risk.policy import load_policy
from tousu.timeline import SHANGHAI, WorkCalendar
from tousu.timeline.repeats import Facts, inside_period, new_facts
from tousu.timeline.rules import DeadlinePolicy, Duration, Stage, StageLimits, due_at, time_barred

CALENDAR = WorkCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="minutes")


def test_acceptance_in_seven_working_days_counts_both_spring_festival_make_up_saturdays():
    limits = load_policy("ecommerce").deadlines.limits(Stage.ACKNOWLEDGE, "regulator")
    # 2026-02-14 and 02-28 are worked Saturdays; 02-15 … 02-23 are the Spring Festival.
    assert local(due_at(at("2026-02-12T10:00"), limits.default, CALENDAR)) == "2026-02-28T10:00+08:00"


def test_acceptance_in_seven_working_days_skips_national_day_and_counts_its_make_up_saturday():
    limits = load_policy("ecommerce").deadlines.limits(Stage.ACKNOWLEDGE, "regulator")
    # 2025-10-01 … 10-08 off; 10-11 (Saturday) worked.
    assert local(due_at(at("2025-09-29T10:00"), limits.default, CALENDAR)) == "2025-10-15T10:00+08:00"


def test_mediation_ends_on_the_forty_fifth_working_day_of_acceptance():
    limits = load_policy("ecommerce").deadlines.limits(Stage.MEDIATION, "regulator")
    assert limits.default == Duration(working_days=45) and limits.starts_after == [Stage.ACKNOWLEDGE]
    assert local(due_at(at("2026-09-01T10:00"), limits.default, CALENDAR)) == "2026-11-09T10:00+08:00"


def test_mediation_runs_only_for_complaints_forwarded_by_the_regulator():
    deadlines = load_policy("ecommerce").deadlines
    assert Stage.MEDIATION in deadlines.optional("regulator")
    assert Stage.MEDIATION not in deadlines.optional("phone")


def test_harm_known_exactly_three_years_before_is_still_acceptable_and_a_day_more_is_not():
    bar = load_policy("ecommerce").deadlines.time_bar
    assert not time_barred(date(2023, 3, 1), at("2026-03-01T18:00"), bar.limit, CALENDAR)
    assert time_barred(date(2023, 3, 1), at("2026-03-02T09:00"), bar.limit, CALENDAR)


def test_banking_allows_a_second_extension_to_sixty_days_only_for_a_leader():
    limits = load_policy("banking").deadlines.limits(Stage.SOLUTION)
    assert (limits.default, limits.extension, limits.second_extension) == (
        Duration(days=15), Duration(days=30), Duration(days=60))
    assert limits.second_extension_role == "leader" and "第二十一条" in limits.source


def test_a_second_extension_without_a_first_or_not_longer_is_refused():
    with pytest.raises(ValidationError, match="give the first extension too"):
        StageLimits(default=Duration(days=15), second_extension=Duration(days=60))
    with pytest.raises(ValidationError, match="must be longer"):
        StageLimits(default=Duration(days=15), extension=Duration(days=30), second_extension=Duration(days=30))


def test_a_machine_stage_cannot_be_given_triggers():
    with pytest.raises(ValidationError, match="handling machine starts and meets"):
        DeadlinePolicy(stages={Stage.SOLUTION: StageLimits(default=Duration(days=1), starts_with=[Stage.ACKNOWLEDGE])})


def test_telecom_switches_on_the_delay_notice_with_the_solution_clock():
    deadlines = load_policy("telecom").deadlines
    assert deadlines.started_with({Stage.SOLUTION}, channel="phone", demand="") == {Stage.DELAY_NOTICE}
    assert deadlines.met_with({Stage.SOLUTION}, channel="phone") == {Stage.DELAY_NOTICE}
    assert load_policy("default").deadlines.started_with({Stage.SOLUTION}, channel="phone", demand="") == set()


def test_aviation_runs_the_refund_clock_only_for_a_refund_demand():
    deadlines = load_policy("aviation").deadlines
    assert deadlines.started_with({Stage.SOLUTION}, channel="web", demand="refund") == {Stage.REFUND}
    assert deadlines.started_with({Stage.SOLUTION}, channel="web", demand="repair") == set()


def test_the_enterprise_guide_follows_up_twice_after_completion():
    deadlines = load_policy("enterprise").deadlines
    assert deadlines.started_with({Stage.FOLLOW_UP}, channel="web", demand="") == {
        Stage.FIRST_FOLLOW_UP, Stage.SECOND_FOLLOW_UP}
    assert deadlines.limits(Stage.SOLUTION).for_case("high", False) == Duration(hours=48)


def test_a_repeat_that_states_nothing_new_has_no_new_facts():
    first = Facts(order_no="A1", amount=Decimal("300"), attachments=frozenset({"h1"}))
    assert new_facts(first, Facts(order_no="A1"), ["order_no", "amount", "attachments"]) == {}


def test_a_different_amount_and_a_new_attachment_are_new_facts():
    first = Facts(order_no="A1", amount=Decimal("300"), attachments=frozenset({"h1"}))
    repeat = Facts(order_no="A1", amount=Decimal("900"), attachments=frozenset({"h1", "h2"}))
    assert new_facts(first, repeat, ["order_no", "amount", "attachments"]) == {"amount": "900", "attachments": ["h2"]}


def test_a_repeat_after_the_period_ended_is_outside_it_unless_the_clock_is_paused():
    assert inside_period(at("2026-10-10T10:00"), at("2026-10-15T10:00"), period_paused=False)
    assert not inside_period(at("2026-10-16T10:00"), at("2026-10-15T10:00"), period_paused=False)
    assert inside_period(at("2026-10-16T10:00"), at("2026-10-15T10:00"), period_paused=True)
