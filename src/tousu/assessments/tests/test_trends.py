import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from tousu.accounts.roles import Role
from tousu.testing import bearer, make_complaint, make_user
from tousu.timeline import SHANGHAI

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)


def _complaint(i: int, *, days_ago: float, product: str, text: str = "扫地机器人充不上电"):
    at = NOW - timedelta(days=days_ago)
    return make_complaint(text=text, product=product, phone=f"1360000{i:04d}", now=at, received_at=at)


def _history():
    n = 0
    for week in range(1, 9):  # one complaint a week for eight weeks about each product
        for product in ("扫地机 S7", "吹风机 H2"):
            _complaint(n, days_ago=7 * week + 3, product=product)
            n += 1
    for day in range(8):  # this week: the vacuum rises, the hair dryer stays usual
        _complaint(n, days_ago=day * 0.8 + 0.1, product="扫地机 S7")
        n += 1
    _complaint(n, days_ago=2, product="吹风机 H2")


def test_the_trends_command_lists_a_rising_product_with_its_evidence(capsys):
    _history()
    call_command("trends", "--now", NOW.isoformat(), "--json")
    result = json.loads(capsys.readouterr().out)
    products = [t for t in result["rising"] if t["key"] == "product"]
    assert [(t["value"], t["count"], t["baseline_count"]) for t in products] == [("扫地机 S7", 8, 8)]
    assert products[0]["expected"] == pytest.approx(1.0) and products[0]["p_value"] < 0.01
    assert result["days"] == 7 and result["baseline_weeks"] == 8


def test_the_trends_endpoint_answers_report_readers_and_refuses_agents(client, time_machine):
    _history()
    time_machine.move_to(NOW, tick=False)
    answer = client.get("/api/trends", headers=bearer(make_user(Role.ANALYST)))
    assert answer.status_code == 200
    assert "扫地机 S7" in {t["value"] for t in answer.json()["rising"]} and "from" in answer.json()
    assert client.get("/api/trends", headers=bearer(make_user(Role.AGENT))).status_code == 403
    bad = client.get("/api/trends?days=0", headers=bearer(make_user(Role.ANALYST)))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "days"


def test_nothing_rising_says_so(capsys):
    call_command("trends", "--now", NOW.isoformat())
    assert "7" in capsys.readouterr().out
