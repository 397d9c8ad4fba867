"""A rate above the legal cap reads as a sentence with the rate, the cap and where it stands."""

import pytest
from django.utils import translation

from tousu.core.display import reason_text
from tousu.risk import Facts, assess, load_policy

pytestmark = pytest.mark.django_db


def _reason(text: str) -> dict:
    result = assess(Facts(text=text), None, load_policy("default"))
    return next(r.as_dict() for r in result.reasons if r.rule == "illegal.rate_above_cap")


@translation.override("zh-hans")
def test_a_rate_above_the_cap_reads_in_chinese_with_its_evidence():
    assert reason_text(_reason("捷信年利率高达百分之35.99，太高了")) == \
        "违法违规：年利率 35.99% 超过法定上限 24%——“年利率高达百分之35.99”（第 3 字）"


@translation.override("en")
def test_and_in_english():
    assert reason_text(_reason("年化率37.82%")).startswith("illegal conduct: a yearly rate of 37.82% above the legal cap of 24%")
