"""Every factor of R-RA-2, negation and reported speech, on the shipped default policy (no database)."""

from decimal import Decimal

import pytest

from tousu.risk import Facts, History, Level, Priority, assess, load_policy

POLICY = load_policy("default")


def run(text: str, **facts) -> object:
    history = facts.pop("history", None)
    return assess(Facts(text=text, **facts), history, POLICY)


def test_an_injury_is_high_and_starts_the_emergency_plan():
    result = run("热水壶底座冒烟，孩子的手被烫伤起泡，去医院看了")
    assert result.risk_level == Level.HIGH and result.emergency
    assert result.severity_grade == 1 and result.priority == Priority.URGENT
    evidence = [r for r in result.reasons if r.factor == "safety"]
    assert evidence and evidence[0].matches[0][0] in {"冒烟", "烫伤", "去医院"}
    word, position = evidence[0].matches[0]
    assert result.reasons and "热水壶底座冒烟，孩子的手被烫伤起泡，去医院看了"[position:position + len(word)] == word


@pytest.mark.parametrize("text", ["还好没有受伤，但是很生气", "幸亏没受伤", "并未造成人员受伤，只是箱子坏了", "没有起火"])
def test_a_negated_injury_is_not_an_injury(text):
    result = run(text)
    assert "safety" not in result.factors
    assert not result.emergency


def test_an_accident_is_not_a_negation():
    assert "safety" in run("我不小心被烫伤了").factors


def test_self_harm_talk_is_an_emergency():
    result = run("你们再这样催收，我真的活不下去了")
    assert result.emergency and "safety" in result.factors


@pytest.mark.parametrize("text", ["我已经向12315投诉了", "再不处理就去法院起诉你们", "已经报警了", "我会向银保监会反映"])
def test_regulator_police_and_court_are_compliance_risks(text):
    result = run(text)
    assert "compliance" in result.factors and result.risk_level == Level.HIGH


def test_reported_speech_is_not_the_customers_threat():
    result = run("客服说会上报给相关部门处理，让我等通知")
    assert "compliance" not in result.factors


def test_the_regulator_channel_alone_is_a_compliance_risk():
    result = run("消费者反映商品有质量问题", channel="regulator")
    assert "compliance" in result.factors and result.risk_level == Level.HIGH
    assert any(r.rule == "compliance.channel" for r in result.reasons)


def test_media_exposure_is_high_and_a_public_channel_can_spread():
    assert run("不解决我就找媒体曝光").risk_level == Level.HIGH
    public = run("App 一直闪退，差评", channel="social")
    assert "spread" in public.factors


def test_mass_with_media_is_an_emergency_mass_alone_is_high():
    alone = run("受害者不止我一个，我们建了维权群")
    assert alone.risk_level == Level.HIGH and not alone.emergency
    both = run("受害者不止我一个，我们建了维权群，已经联系了电视台记者")
    assert both.emergency


def test_harassing_relatives_is_illegal_conduct():
    result = run("催收天天打电话给我父母和同事，还爆通讯录")
    assert "illegal" in result.factors and result.risk_level == Level.HIGH


def test_misleading_sales_are_medium_not_fraud():
    result = run("业务员虚假宣传，说保本，要求退款")
    assert result.risk_level == Level.MEDIUM


@pytest.mark.parametrize("amount,level", [(Decimal("9999.99"), Level.MEDIUM), (Decimal("10000"), Level.HIGH),
                                          (Decimal("50"), Level.MEDIUM)])
def test_money_is_high_from_ten_thousand_yuan(amount, level):
    assert run("要求处理", amount=amount).risk_level == level


def test_a_loss_in_the_text_counts_but_a_loan_principal_does_not():
    assert run("卡里的钱被盗刷，损失了38,000元").risk_level == Level.HIGH
    assert run("我借了40000元，想提前还款").risk_level == Level.MEDIUM
    assert any(r.rule == "money.high_amount" and r.value == 15000 for r in run("钱被骗走1.5万元").reasons)
    assert "money" in run("银行卡被扣了2万元，损失惨重").factors


def test_customer_value_raises_a_low_enquiry():
    assert run("请问理财产品多久到账").risk_level == Level.LOW
    assert run("请问理财产品多久到账", customer_level="vip").risk_level == Level.MEDIUM


def test_anger_and_chasing_are_medium():
    assert "emotion" in run("太过分了，态度恶劣").factors
    assert "repetition" in run("已经多次打电话，一直没人处理").factors


def test_repeats_from_history():
    assert run("又来了", history=History(customer_earlier=1)).factors == ("repetition",)
    assert run("又来了", history=History(customer_earlier=3)).risk_level == Level.HIGH


def test_impact_scope_from_similar_complaints():
    assert run("断网", history=History(similar_in_window=3)).risk_level == Level.MEDIUM
    assert run("断网", history=History(similar_in_window=10)).risk_level == Level.HIGH
    assert "impact_scope" in run("断网", history=History(incident=True)).factors


def test_a_plain_problem_is_medium_and_an_enquiry_low():
    assert run("快递还没到").risk_level == Level.MEDIUM
    assert run("想咨询一下信用卡怎么办理").risk_level == Level.LOW


def test_every_result_names_its_policy_version():
    result = run("已经报警")
    assert (result.policy_name, result.policy_version) == ("default", POLICY.version)
    assert result.as_dict()["policy"]["version"] == POLICY.version


def test_it_suggests_a_type():
    assert run("宽带断网四次，信号很差").complaint_type == "network"
    assert run("信用卡年费乱收费").complaint_type == "billing"
    assert run("今天天气不错").complaint_type == "other"
