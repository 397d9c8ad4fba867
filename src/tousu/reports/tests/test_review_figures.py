"""The review's figures against small fixtures counted by hand."""

from datetime import date, timedelta

import pytest
from django.utils import translation

from tousu.accounts.models import Department
from tousu.reports.tests.helpers import (
    HIGH_MEDIA,
    HIGH_SAFETY,
    LOW,
    MEDIUM,
    at,
    complaint,
    items,
    review_of,
    set_fields,
)
from tousu.testing import make_department, make_user
from tousu.workflow.actions.transitions import reopen
from tousu.workflow.models import RootCause, Solution, Survey

pytestmark = pytest.mark.django_db
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
NOW = at(2026, 12, 3, 10, 0)


def test_an_empty_period_counts_nothing_and_has_no_rates():
    review = review_of(*NOVEMBER, now=NOW)
    assert review["complaints"]["count"] == 0
    assert all(block["items"] == [] for block in review["counts"].values())
    assert review["time_limits"] == {**review["time_limits"], "stages": [], "on_time_rate": None}
    assert review["reopen"]["rate"] is None and review["repeat"]["rate"] is None
    assert review["satisfaction"]["mean"] is None and review["satisfaction"]["surveys"] == 0
    assert review["root_causes"]["pareto"] == [] and review["high_risk"]["complaints"] == 0
    assert review["escalations"]["count"] == review["emergencies"]["count"] == review["improvements"]["count"] == 0
    complaints = next(f for f in review["trend"]["figures"] if f["key"] == "complaints")
    assert (complaints["current"], complaints["previous"], complaints["last_year"]) == (0, 0, 0)
    assert complaints["change_previous"] is None


def test_a_single_complaint_is_the_whole_of_every_count():
    complaint(LOW, received=at(2026, 11, 10, 10, 0), product="KT-17", region="上海", lot="L01")
    review = review_of(*NOVEMBER, now=NOW)
    assert review["complaints"]["count"] == 1
    for dimension, code in (("type", "service"), ("level", "low"), ("grade", 3), ("channel", "phone"),
                            ("region", "上海"), ("product", "KT-17"), ("lot", "L01"), ("department", "")):
        (item,) = review["counts"][dimension]["items"]
        assert (item["code"], item["count"], item["share"]) == (code, 1, 1.0), dimension
    # Its three intake clocks all ran out by 3 December: overdue, none on time.
    assert [s["stage"] for s in review["time_limits"]["stages"]] == ["acknowledge", "first_response", "solution"]
    assert all((s["clocks"], s["overdue"], s["on_time_rate"]) == (1, 1, 0.0) for s in review["time_limits"]["stages"])


def test_counts_by_every_dimension_with_their_shares():
    kf, zl = make_department("kf", "客服部"), make_department("zl", "质量部")
    complaint(LOW, received=at(2026, 11, 2, 9), channel="phone", product="A", region="上海", department=kf)
    complaint(LOW, received=at(2026, 11, 3, 9), channel="web", product="A", region="北京", department=kf,
              phone="13900000001")
    complaint(MEDIUM, received=at(2026, 11, 4, 9), channel="web", product="B", region="上海", department=zl,
              phone="13900000002")
    complaint(HIGH_MEDIA, received=at(2026, 11, 30, 23, 59), channel="social", product="A", department=zl,
              phone="13900000003")
    complaint(LOW, received=at(2026, 12, 1, 0, 0), channel="phone")  # the next period
    complaint(LOW, received=at(2026, 10, 31, 23, 59), channel="phone")  # the one before
    review = review_of(*NOVEMBER, now=NOW)
    assert review["complaints"]["count"] == 4
    assert items(review, "channel") == {"web": 2, "phone": 1, "social": 1}
    assert items(review, "level") == {"high": 1, "medium": 1, "low": 2}
    assert [i["code"] for i in review["counts"]["level"]["items"]] == ["high", "medium", "low"]
    assert items(review, "grade") == {1: 1, 2: 1, 3: 2}
    assert items(review, "type") == {"service": 2, "delivery": 1, "other": 1}
    assert items(review, "product") == {"A": 3, "B": 1}
    assert items(review, "region") == {"上海": 2, "北京": 1, "": 1}
    assert items(review, "department") == {"kf": 2, "zl": 2}
    web = next(i for i in review["counts"]["channel"]["items"] if i["code"] == "web")
    assert web["share"] == 0.5
    only_kf = review_of(*NOVEMBER, now=NOW, department="kf")
    assert only_kf["complaints"]["count"] == 2 and only_kf["period"]["department_name"] == "客服部"


def test_words_are_rendered_from_the_codes_in_the_readers_language():
    complaint(HIGH_MEDIA, received=at(2026, 11, 5, 9))
    review = review_of(*NOVEMBER, now=NOW)
    level = review["counts"]["level"]["items"][0]
    assert (level["code"], level["label"]) == ("high", "高")
    assert review["counts"]["channel"]["items"][0]["label"] == "电话"
    with translation.override("en"):
        review = review_of(*NOVEMBER, now=NOW)
    assert review["counts"]["level"]["items"][0]["label"] == "High"
    assert review["counts"]["channel"]["items"][0]["label"] == "Phone"


def test_a_reopened_complaint_counts_once_in_the_reopen_rate():
    agent = make_user("agent")
    first = complaint(LOW, received=at(2026, 11, 2, 9), phone="13900000011")
    complaint(LOW, received=at(2026, 11, 3, 9), phone="13900000012")
    set_fields(first, status="closed", closed_at=at(2026, 11, 5, 9))
    reopen(first, by=agent, now=at(2026, 11, 6, 9), reason="客户不满意")
    set_fields(first, status="closed", closed_at=at(2026, 11, 8, 9))
    reopen(first, by=agent, now=at(2026, 11, 9, 9), reason="又来了")
    review = review_of(*NOVEMBER, now=NOW)
    assert (review["reopen"]["reopened"], review["reopen"]["complaints"], review["reopen"]["rate"]) == (1, 2, 0.5)
    # Each reopening started a new investigation and solution clock of its own.
    assert next(s for s in review["time_limits"]["stages"] if s["stage"] == "solution")["clocks"] == 4


def test_repeats_are_the_same_customer_or_the_same_matter_within_the_window():
    complaint(LOW, received=at(2026, 10, 20, 9), phone="13900000021")
    complaint(LOW, received=at(2026, 11, 5, 9), phone="13900000021")  # same customer 16 days on: a repeat
    complaint(LOW, received=at(2026, 9, 1, 9), phone="13900000022")
    complaint(LOW, received=at(2026, 11, 6, 9), phone="13900000022")  # 66 days on: not within 30 days
    complaint(LOW, received=at(2026, 11, 7, 9), phone="13900000023", order_no="SO-1")
    complaint(LOW, received=at(2026, 11, 20, 9), phone="13900000024", order_no="SO-1")  # the same order
    complaint(LOW, received=at(2026, 11, 21, 9), email="li@example.com")
    complaint(LOW, received=at(2026, 11, 22, 9), email="li@example.com", order_no="SO-1")  # both
    repeat = review_of(*NOVEMBER, now=NOW)["repeat"]
    assert (repeat["complaints"], repeat["repeats"], repeat["same_customer"], repeat["same_matter"]) == (6, 3, 2, 2)
    assert repeat["rate"] == 0.5 and repeat["window_days"] == 30


def test_satisfaction_mean_distribution_and_share_unsatisfied():
    scores = [5, 4, 2, 1, None]
    for i, score in enumerate(scores):
        c = complaint(LOW, received=at(2026, 11, 2 + i, 9), phone=f"1390000003{i}")
        Survey.objects.create(complaint=c, token=f"t{i}", sent_at=at(2026, 11, 20), score=score,
                              answered_at=at(2026, 11, 21) if score else None)
    satisfaction = review_of(*NOVEMBER, now=NOW)["satisfaction"]
    assert (satisfaction["surveys"], satisfaction["answered"], satisfaction["response_rate"]) == (5, 4, 0.8)
    assert satisfaction["mean"] == 3.0
    assert [d["count"] for d in satisfaction["distribution"]] == [1, 1, 0, 1, 1]
    assert (satisfaction["unsatisfied"], satisfaction["unsatisfied_share"]) == (2, 0.5)


def test_root_causes_in_pareto_order_with_the_cumulative_share():
    by = make_user("quality")
    categories = ["服务流程"] * 3 + ["包装运输"] * 2 + ["设计"]
    for i, category in enumerate(categories):
        c = complaint(LOW, received=at(2026, 11, 2 + i, 9), phone=f"1390000004{i}")
        RootCause.objects.create(complaint=c, category=category, whys=["为什么"], updated_by=by, updated_at=NOW)
    complaint(LOW, received=at(2026, 11, 20, 9), phone="13900000049")
    causes = review_of(*NOVEMBER, now=NOW)["root_causes"]
    assert [(p["code"], p["count"], p["share"], p["cumulative_share"]) for p in causes["pareto"]] == [
        ("服务流程", 3, 0.5, 0.5), ("包装运输", 2, 0.3333, 0.8333), ("设计", 1, 0.1667, 1.0)]
    assert (causes["recorded"], causes["without_cause"]) == (6, 1)


def test_compared_with_the_period_before_and_the_same_period_last_year():
    for day in (2, 3, 4):
        complaint(LOW, received=at(2026, 11, day, 9), phone=f"139000005{day:02d}")
    for day in (5, 6):
        complaint(HIGH_MEDIA, received=at(2026, 10, day, 9), phone=f"139000006{day:02d}")
    for day in (1, 2, 3, 30):
        complaint(LOW, received=at(2025, 11, day, 9), phone=f"139000007{day:02d}")
    trend = review_of(*NOVEMBER, now=NOW)["trend"]
    assert trend["periods"]["previous"] == {"from": "2026-10-01", "to": "2026-10-31"}
    assert trend["periods"]["last_year"] == {"from": "2025-11-01", "to": "2025-11-30"}
    figures = {f["key"]: f for f in trend["figures"]}
    complaints = figures["complaints"]
    assert (complaints["current"], complaints["previous"], complaints["last_year"]) == (3, 2, 4)
    assert (complaints["change_previous"], complaints["change_last_year"]) == (0.5, -0.25)
    assert (figures["high_risk"]["current"], figures["high_risk"]["previous"]) == (0, 2)
    assert (figures["level:low"]["current"], figures["level:low"]["last_year"]) == (3, 4)


def test_what_high_risk_complaints_have_in_common_against_all():
    complaint(HIGH_SAFETY, received=at(2026, 11, 2, 9), channel="social", product="KT-17", phone="13900000061")
    complaint(HIGH_SAFETY, received=at(2026, 11, 3, 9), channel="social", product="KT-17", phone="13900000062")
    complaint(LOW, received=at(2026, 11, 4, 9), channel="phone", product="KT-17", phone="13900000063")
    complaint(LOW, received=at(2026, 11, 5, 9), channel="social", product="X", phone="13900000064")
    high = review_of(*NOVEMBER, now=NOW)["high_risk"]
    assert (high["complaints"], high["share"]) == (2, 0.5)
    (safety,) = [t for t in high["traits"]["factor"] if t["code"] == "safety"]
    assert (safety["high"], safety["high_share"], safety["all"], safety["all_share"], safety["lift"]) == (
        2, 1.0, 2, 0.5, 2.0)
    assert any(t["code"] == "safety.injury" and t["high"] == 2 for t in high["traits"]["rule"])
    (social,) = high["traits"]["channel"]
    assert (social["code"], social["high"], social["all"], social["lift"]) == ("social", 2, 3, 1.33)
    (product,) = high["traits"]["product"]
    assert (product["code"], product["high"], product["all"]) == ("KT-17", 2, 3)


def test_escalations_emergencies_and_improvement_actions_with_their_outcomes():
    from tousu.workflow.actions.sweep import sweep

    department = make_department("kf")
    manager = make_user("manager", department=department)
    Department.objects.filter(pk=department.pk).update(manager=manager)
    make_user("leader")
    hurt = complaint(HIGH_SAFETY, received=at(2026, 11, 2, 9), department=department, phone="13900000071")
    other = complaint(LOW, received=at(2026, 11, 3, 9), department=department, phone="13900000072")
    sweep(at(2026, 11, 20, 9))  # every intake clock is past its due time by then
    review = review_of(*NOVEMBER, now=NOW)
    escalations = review["escalations"]
    assert escalations["count"] == 6  # three clocks each, escalated to the owner once
    assert [(s["code"], s["count"], s["clock_open"]) for s in escalations["by_step"]] == [("owner", 6, 6)]
    assert {e["tracking_number"] for e in escalations["items"]} == {hurt.tracking_number, other.tracking_number}
    emergencies = review["emergencies"]
    assert (emergencies["count"], emergencies["by_state"][0]["code"]) == (1, "proposed")
    assert emergencies["items"][0]["complaints"] == [hurt.tracking_number]

    for status, due in (("pending", 1), ("rejected", 1), ("approved", -1), ("approved", 30)):
        Solution.objects.create(complaint=other, measures="补发", owner=manager, due_date=date(2026, 12, 3)
                                + timedelta(days=due), status=status, proposed_by=manager, proposed_at=at(2026, 11, 4))
    improvements = review_of(*NOVEMBER, now=NOW)["improvements"]
    assert {s["code"]: s["count"] for s in improvements["by_state"]} == {
        "pending": 1, "rejected": 1, "overdue": 1, "approved": 1}
