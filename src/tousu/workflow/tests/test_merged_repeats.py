import pytest

from tousu.workflow.models import MergedRepeat
from tousu.workflow.tests.clock_helpers import agent_under, at, complaint

pytestmark = pytest.mark.django_db

TEXT = "信用卡被多扣了年费，要求退还"


def test_a_repeat_without_new_facts_inside_the_period_is_merged_and_starts_no_clock():
    agent = agent_under("banking")
    first = complaint(agent, text=TEXT, phone="13812345678", order_no="CC-1", when="2026-09-30T10:00")
    repeat = complaint(agent, text="上次说的年费问题还没处理", phone="13812345678", order_no="CC-1",
                       when="2026-10-01T09:00")
    link = MergedRepeat.objects.get(repeat=repeat)
    assert link.first == first and link.merged and link.new_facts == {}
    assert not repeat.deadlines.exists()
    assert first.repeats.count() == 1
    assert first.events.filter(kind="note", data__repeat=repeat.tracking_number).exists()


def test_a_repeat_with_new_facts_runs_its_own_clocks_from_its_receipt():
    agent = agent_under("banking")
    complaint(agent, text=TEXT, phone="13812345678", order_no="CC-1", amount="200", when="2026-09-30T10:00")
    repeat = complaint(agent, text="又多扣了一笔", phone="13812345678", order_no="CC-1", amount="600",
                       when="2026-10-01T09:00")
    link = MergedRepeat.objects.get(repeat=repeat)
    assert not link.merged and link.new_facts == {"amount": "600.00"}
    assert repeat.deadlines.get(stage="solution").started_at == at("2026-10-01T09:00")


def test_a_repeat_after_the_handling_period_is_a_complaint_of_its_own():
    agent = agent_under("banking")
    complaint(agent, text=TEXT, phone="13812345678", order_no="CC-1", when="2026-09-30T10:00")
    late = complaint(agent, text="年费问题", phone="13812345678", order_no="CC-1", when="2026-10-16T10:00")
    assert not MergedRepeat.objects.exists() and late.deadlines.filter(stage="solution").exists()


def test_the_default_policy_does_not_merge_repeats():
    agent = agent_under("default")
    complaint(agent, text=TEXT, phone="13812345678", order_no="CC-1", when="2026-09-30T10:00")
    repeat = complaint(agent, text="年费问题", phone="13812345678", order_no="CC-1", when="2026-10-01T10:00")
    assert not MergedRepeat.objects.exists() and repeat.deadlines.exists()
