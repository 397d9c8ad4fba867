"""The rubric's categories said in other words: proximity patterns, normalisation, amounts, whole-number
keywords, settled complaints, and the defects found by trying Tousu as a new user (no database)."""

from decimal import Decimal

import pytest

from tousu.risk import Facts, Level, PolicyError, assess, load_policy, load_policy_text
from tousu.risk.amounts import amounts_in
from tousu.risk.learning import train
from tousu.risk.normalise import normalise

POLICY = load_policy("default")


def run(text: str):
    return assess(Facts(text=text), None, POLICY)


def rules(text: str) -> set[str]:
    return {r.rule for r in run(text).reasons}


# ---- number-like keywords only as whole tokens --------------------------------------------------

@pytest.mark.parametrize("text", ["我的电话是13912345678，扣款不对", "身份证110101199001011234，扣款不对",
                                  "收了110元手续费", "订单号2112315678", "第110次打电话", "共12315期"])
def test_a_number_keyword_inside_a_longer_number_fires_nothing(text):
    assert not rules(text) & {"compliance.regulator", "compliance.police"}


@pytest.mark.parametrize("text, rule", [("我已经打了12315投诉", "compliance.regulator"),
                                        ("我要打110报警了", "compliance.police"),
                                        ("拨打１２３１５", "compliance.regulator")])
def test_a_number_keyword_standing_alone_still_fires(text, rule):
    assert rule in rules(text)


# ---- normalisation --------------------------------------------------------------------------------

def test_normalising_keeps_every_position():
    text = "我被騙了５萬元　這個銀行"
    assert normalise(text) == "我被骗了5万元 这个银行" and len(normalise(text)) == len(text)


def test_traditional_characters_fire_the_same_rules():
    result = run("銀行未經本人同意擅自扣款，我要向銀保監會投訴")
    assert result.risk_level == Level.HIGH
    assert {"compliance.regulator", "illegal.unauthorised_debit"} <= {r.rule for r in result.reasons}


# ---- amounts --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, how", [
    ("被骗了5万元", Decimal(50000), "figure"), ("損失3萬元", None, None), ("扣了1***元", Decimal(1000), "masked"),
    ("被扣了2****元", Decimal(20000), "masked"), ("借了五万三千元", Decimal(53000), "chinese"),
    ("每月还款1918.9，共需要还款54期", Decimal("103620.6"), "instalments"), ("共12,000元", Decimal(12000), "figure")])
def test_amounts_are_read_in_every_common_form(text, value, how):
    found = amounts_in(normalise(text))
    if value is None:  # traditional 萬 is read once normalised
        assert max(a.value for a in found) == Decimal(30000)
        return
    assert any(a.value == value and a.how == how for a in found), found


def test_a_bare_number_is_no_amount():
    assert amounts_in("订单2023年1月，电话13912345678") == []


def test_a_loss_in_chinese_numerals_is_high():
    assert "money.high_amount" in rules("我被骗走了两万元")


def test_a_masked_loss_reads_as_at_least():
    assert "money.high_amount" in rules("银行卡被盗刷了1****元")


# ---- proximity: consent, third parties, rate caps, health ---------------------------------------

@pytest.mark.parametrize("text", ["我从来没有同意过，他们就给我开通了会员", "在我不知情的情况下扣款398元",
                                  "我根本没开通过这个业务，每月扣费20元"])
def test_a_debit_the_customer_never_agreed_to_is_illegal(text):
    result = run(text)
    assert result.risk_level == Level.HIGH and "illegal" in result.factors


def test_a_consent_word_far_from_any_charge_does_not_fire():
    assert "illegal.unconsented" not in rules("我不知情。后来过了很久很久很久很久很久很久很久很久很久，我去银行办理了存款业务")


@pytest.mark.parametrize("text", ["催收人员打电话给我的邻居", "他们天天骚扰我的同事", "催收给村委打电话"])
def test_pressure_on_third_parties_is_illegal(text):
    assert "illegal.third_party" in rules(text) and run(text).risk_level == Level.HIGH


def test_interest_above_the_legal_cap_in_other_words_is_illegal():
    assert "illegal.rate_cap" in rules("这个年化利率明显超过了法定上限")


def test_harm_caused_to_a_family_members_health_is_a_safety_emergency():
    result = run("催收天天打电话，把我母亲气得住院了")
    assert "safety.health_harm" in {r.rule for r in result.reasons} and result.emergency


def test_illness_told_as_the_reason_for_a_late_payment_is_no_emergency():
    assert not run("家里老人生病住院，导致我的贷款逾期了，希望协商还款").emergency


def test_a_death_in_an_inheritance_is_no_injury():
    result = run("父亲去世后办理存款继承，银行要求的材料太多")
    assert not result.emergency and "safety" not in result.factors


def test_a_veiled_threat_to_the_family_is_a_safety_emergency():
    assert run("催收说你家人走路小心点").emergency


def test_self_harm_statements_and_despair_are_emergencies_recall_first():
    assert "safety.self_harm" in rules("再这样催下去我真的不想活了") and run("再这样催下去我真的不想活了").emergency
    despair = run("催收天天打电话，把我逼得走投无路")
    assert despair.emergency and "emotion.despair" in {r.rule for r in despair.reasons}


# ---- low, types ---------------------------------------------------------------------------------

def test_a_misunderstanding_is_low():
    result = run("是我自己误会了")
    assert result.risk_level == Level.LOW and "baseline.settled" in {r.rule for r in result.reasons}


def test_an_injury_is_a_safety_complaint():
    assert run("骑车时脚踏断裂，摔伤骨折住院").complaint_type == "safety"


# ---- policy validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("money, message", [("{high_amount: -5}", "high_amount"),
                                            ("{high_amount: 1000, medium_amount: 5000}", "medium_amount")])
def test_money_thresholds_that_make_no_sense_are_refused(money, message):
    with pytest.raises(PolicyError, match=message):
        load_policy_text(f"extends: default\nname: x\nversion: '1'\nmoney: {money}\n")


def test_a_near_rule_with_a_side_loads():
    policy = load_policy_text("extends: default\nname: x\nversion: '1'\nfactors:\n  emotion:\n    rules:\n"
                              "      - {id: emotion.x, level: medium, words: [哭], near: [气], near_side: before}\n")
    assert policy.factors["emotion"].rules[-1].near_side == "before"


# ---- learning -------------------------------------------------------------------------------------

def test_a_label_with_three_examples_trains():
    texts = ["扣款不对", "乱扣费", "多扣了钱", "态度差", "客服不理人", "没人回复", "快递慢", "物流丢件", "一直不发货"]
    labels = ["billing"] * 3 + ["service"] * 3 + ["delivery"] * 3
    model = train(texts, labels)
    assert model.suggest(["又乱扣费"])[0].complaint_type in {"billing", "service", "delivery"}
