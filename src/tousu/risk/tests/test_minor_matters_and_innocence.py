"""Rubric categories added in 2026.12.4: a minor matter (a coupon or promotion not honoured) is low; conduct
called unlawful fires only when it is not the customer's own innocence; self-harm said in more words."""

import pytest

from tousu.risk import Facts, Level, PolicyError, assess, load_policy, load_policy_text

POLICY = load_policy("default")


def run(text: str):
    return assess(Facts(text=text), None, POLICY)


@pytest.mark.parametrize("text", ["参加活动获得10元立减金兑换失败，一直显示发放中，麻烦帮忙处理",
                                  "签到得到的红包兑换不成功，说批次已满，要求尽快补发",
                                  "七夕节活动优惠券20-10，七夕还没到，优惠券就过期了"])
def test_a_coupon_or_promotion_not_honoured_in_a_short_text_is_low(text):
    result = run(text)
    assert result.risk_level == Level.LOW
    reason = next(r for r in result.reasons if r.rule == "baseline.minor")
    word, position = reason.matches[0]
    assert text[position:position + len(word)] == word


def test_a_minor_matter_with_a_high_factor_stays_high():
    assert run("立减金兑换失败，我要去银保监会投诉").risk_level == Level.HIGH


def test_a_promotion_with_a_loss_of_five_hundred_or_more_is_no_minor_matter():
    assert run("积分兑换的礼品没收到，扣了我800元").risk_level == Level.MEDIUM


def test_a_long_account_of_a_promotion_is_no_minor_matter():
    text = "我参加了信用卡推荐有礼活动，想推荐5人后领取耳机，邀请亲戚好友一个多月才完成，激活消费后显示达标，" \
           "给了我代金券，去兑换时却显示库存不足，客服推诿说等通知，到现在都没有结果。"
    assert len(text) >= 80
    assert run(text).risk_level == Level.MEDIUM


def test_minor_matters_name_only_known_factors():
    with pytest.raises(PolicyError, match="unknown factor"):
        load_policy_text("name: p\nversion: '1'\nlanguage: {minor_matters: {words: [券], below: 80, factors: [cash]}}")


@pytest.mark.parametrize("text", ["本人从来没有违规操作，为啥封我账号", "此卡已用好几年，从未违规，现给降额",
                                  "从来没有非法使用等情节，却限制我使用"])
def test_the_customers_own_innocence_is_no_unlawful_conduct(text):
    result = run(text)
    assert "illegal" not in result.factors and result.risk_level != Level.HIGH


@pytest.mark.parametrize("text", ["催收人员违规催收，态度蛮横", "要求停止其违法行为", "这是不合法的收费"])
def test_conduct_called_unlawful_is_illegal(text):
    result = run(text)
    assert "illegal.unlawful" in {r.rule for r in result.reasons}
    assert result.risk_level == Level.HIGH


@pytest.mark.parametrize("text", ["我已经想过自残", "被逼得想服毒", "真想一了百了"])
def test_self_harm_said_in_more_words_is_an_emergency(text):
    assert run(text).emergency


def test_self_harm_denied_is_no_emergency():
    assert not run("我不会自残的，只想要个说法").emergency


@pytest.mark.parametrize("text", ["后面公司里面打人、抢我手机不允许我说话", "催收上门把我打伤了",
                                  "导致受害人压力过大，精神崩溃而坠楼身亡", "孩子受不了压力，如果出什么意外你们负责",
                                  "你们要把我们家孩子逼死"])
def test_violence_a_death_and_danger_to_a_family_members_life_are_emergencies(text):
    result = run(text)
    assert result.emergency and result.risk_level == Level.HIGH


@pytest.mark.parametrize("text", ["打人工客服电话一直没人接", "父亲意外身故，保险公司拒绝理赔身亡保险金",
                                  "一直和我道德绑架说上面的会找她背锅", "孩子的意外险理赔出了意外情况一直不赔"])
def test_a_call_to_a_person_an_insured_death_or_a_figure_of_speech_is_no_emergency(text):
    assert not run(text).emergency


def test_a_denied_assault_is_no_emergency():
    assert not run("工作人员没有打人，但态度很差").emergency


def test_an_assault_reports_its_span():
    text = "后面公司里面打人、抢我手机"
    reason = next(r for r in run(text).reasons if r.rule == "safety.assault")
    assert [(w, p) for w, p in reason.matches] == [("打人", text.index("打人"))]


@pytest.mark.parametrize("text", ["客服说办不了，还一个劲的强调要起诉我", "银行扬言起诉我", "第三方说要到法院起诉本人"])
def test_the_company_suing_the_customer_is_not_the_customer_going_to_court(text):
    assert "compliance.legal" not in {r.rule for r in run(text).reasons}


def test_an_unless_word_that_extends_the_phrase_cancels_it():
    # "起诉我" starts where "起诉" starts: it is the company suing, said in one word.
    policy = load_policy_text("name: p\nversion: '1'\nfactors:\n  compliance:\n    rules:\n"
                              "      - {id: c.legal, words: [起诉], unless: [起诉我], within: 2}\n")
    assert not assess(Facts(text="他们要起诉我"), None, policy).factors
    assert assess(Facts(text="我要起诉他们"), None, policy).factors == ("compliance",)


@pytest.mark.parametrize("text", ["银监会第70条规定，特殊情况下可以协商还款", "根据央行指示疫情期间应当减免违约金",
                                  "逾期记录也要上报至央行了，请减免违约金"])
def test_a_regulation_cited_or_the_credit_register_is_no_complaint_to_the_regulator(text):
    assert "compliance.regulator" not in {r.rule for r in run(text).reasons}


@pytest.mark.parametrize("text", ["我从未逾期，为什么账单分期不给办理", "从来没逾期过，贷款额度却被降了",
                                  "查征信显示分期乐的贷款一直未销户"])
def test_never_overdue_or_a_credit_record_is_no_unconsented_debit(text):
    assert "illegal" not in run(text).factors


def test_a_product_never_used_and_still_charged_is_unconsented():
    assert "illegal.unconsented" in {r.rule for r in run("这张卡我从未使用过，却每年扣费年费").reasons}
