"""Every figure leads to the complaints behind it: following a figure's link lists exactly as many
complaints as it counts."""

from datetime import date

import pytest

from tousu.accounts.roles import Role
from tousu.complaints.models import Complaint
from tousu.reports.review import walk_links
from tousu.reports.tests.helpers import (
    HIGH_MEDIA,
    HIGH_SAFETY,
    LOW,
    MEDIUM,
    at,
    complaint,
    meet,
    review_of,
    set_fields,
)
from tousu.testing import make_department, make_user
from tousu.workflow.actions.transitions import reopen
from tousu.workflow.models import RootCause, Solution, Survey

pytestmark = pytest.mark.django_db
NOW = at(2026, 12, 3, 10, 0)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _fixture():
    kf = make_department("kf", "客服部")
    quality = make_user(Role.QUALITY)
    rows = [(LOW, "phone", "A", "上海", kf), (LOW, "web", "A", "北京", None), (MEDIUM, "web", "B", "上海", kf),
            (HIGH_MEDIA, "social", "A", "", kf), (HIGH_SAFETY, "social", "C", "广州", None), (LOW, "email", "", "", kf)]
    made = []
    for i, (text, channel, product, region, department) in enumerate(rows):
        made.append(complaint(text, received=at(2026, 11, 2 + i, 9), channel=channel, product=product, region=region,
                              department=department, phone=f"1390000020{i}", order_no="SO-9" if i in (1, 3) else ""))
    complaint(LOW, received=at(2026, 10, 5, 9), phone="13900000200")  # makes made[0] a repeat
    complaint(HIGH_MEDIA, received=at(2025, 11, 5, 9), phone="13900000299")  # last year
    meet(made[0], "solution", at(2026, 11, 3, 9))
    meet(made[1], "solution", at(2026, 11, 20, 9))
    meet(made[2], "acknowledge", at(2026, 11, 4, 10))
    for c, score in zip(made[:4], (5, 2, 4, None), strict=True):
        Survey.objects.create(complaint=c, token=f"t{c.pk}", sent_at=NOW, score=score, answered_at=NOW if score else None)
    for c, category in zip(made[:3], ("服务流程", "服务流程", "设计"), strict=True):
        RootCause.objects.create(complaint=c, category=category, whys=["为什么"], updated_by=quality, updated_at=NOW)
    for c, status in zip(made[2:5], ("pending", "approved", "rejected"), strict=True):
        Solution.objects.create(complaint=c, measures="补发", owner=quality, due_date=date(2026, 12, 1), status=status,
                                proposed_by=quality, proposed_at=at(2026, 11, 10))
    set_fields(made[5], status="closed", closed_at=at(2026, 11, 20))
    reopen(made[5], by=quality, now=at(2026, 11, 21), reason="客户不满意")
    return quality


def _figures(review: dict):
    """(what, count, link) for every figure that counts complaints."""
    for dimension, block in review["counts"].items():
        for item in block["items"]:
            yield f"counts.{dimension}.{item['code']}", item["count"], item["link"]
    high = review["high_risk"]
    yield "high_risk", high["complaints"], high["link"]
    for kind, traits in high["traits"].items():
        for t in traits:
            yield f"trait.{kind}.{t['code']}.high", t["high"], t["links"]["high"]
            yield f"trait.{kind}.{t['code']}.all", t["all"], t["links"]["all"]
    yield "reopen", review["reopen"]["reopened"], review["reopen"]["link"]
    repeat = review["repeat"]
    for kind, key in (("any", "repeats"), ("customer", "same_customer"), ("matter", "same_matter")):
        yield f"repeat.{kind}", repeat[key], repeat["links"][kind]
    for p in review["root_causes"]["pareto"]:
        yield f"cause.{p['code']}", p["count"], p["link"]
    yield "without_cause", review["root_causes"]["without_cause"], review["root_causes"]["links"]["without_cause"]
    for f in review["trend"]["figures"]:
        if "links" in f and f["key"] != "reopen_rate":
            for period in ("current", "previous", "last_year"):
                yield f"trend.{f['key']}.{period}", f[period], f["links"][period]
    for d in review["satisfaction"]["distribution"]:
        yield f"score.{d['score']}", d["count"], d["link"]
    satisfaction = review["satisfaction"]
    yield "surveys", satisfaction["surveys"], satisfaction["links"]["surveys"]
    yield "answered", satisfaction["answered"], satisfaction["links"]["answered"]
    yield "unsatisfied", satisfaction["unsatisfied"], satisfaction["links"]["unsatisfied"]
    for s in review["time_limits"]["stages"]:
        if s["stage"] in ("acknowledge", "first_response"):  # one clock per complaint (the reopened one has two
            for state in ("on_time", "late", "overdue", "paused", "running"):  # solution clocks)
                yield f"clock.{s['stage']}.{state}", s[state], s["links"][state]
    yield "emergencies", review["emergencies"]["count"], review["emergencies"]["link"]
    for s in review["improvements"]["by_state"]:
        yield f"improvement.{s['code']}", s["count"], s["link"]


def test_every_figure_lists_as_many_complaints_as_it_counts(client):
    quality = _fixture()
    review = review_of(*NOVEMBER, now=NOW)
    client.force_login(quality)
    checked = 0
    for what, count, link in _figures(review):
        response = client.get(link)
        assert response.status_code == 200, (what, link)
        assert response.context["page"].paginator.count == count, (what, link)
        checked += 1
    assert checked > 60
    assert review["repeat"]["repeats"] == 2 and review["reopen"]["reopened"] == 1  # the fixture did its job


def test_every_link_of_the_review_answers(client):
    client.force_login(_fixture())
    links = set(walk_links(review_of(*NOVEMBER, now=NOW)))
    assert len(links) > 80
    for link in links:
        assert client.get(link).status_code == 200, link


def test_a_figures_list_names_its_complaints_with_links_to_them(client):
    quality = _fixture()
    review = review_of(*NOVEMBER, now=NOW)
    client.force_login(quality)
    social = next(i for i in review["counts"]["channel"]["items"] if i["code"] == "social")
    page = client.get(social["link"]).content.decode()
    numbers = Complaint.objects.filter(channel="social", received_at__gte=at(2026, 11, 1)).values_list(
        "tracking_number", flat=True)
    assert len(numbers) == social["count"] == 2
    for number in numbers:
        assert f'href="/complaints/{number}/"' in page
