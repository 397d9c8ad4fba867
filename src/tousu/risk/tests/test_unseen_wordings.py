"""Rules added from the second draw of tuning rows (2026-12-03): each fires with its span on the wording the
labellers marked, stays silent when negated, and treats reported speech as its rule says."""

from decimal import Decimal

import pytest

from tousu.risk import Facts, Level, PolicyError, assess, load_policy, load_policy_text
from tousu.risk.amounts import rates_in

POLICY = load_policy("default")


def run(text: str):
    return assess(Facts(text=text), None, POLICY)


def reason(text: str, rule: str):
    return next((r for r in run(text).reasons if r.rule == rule), None)


def spans_point_into_the_text(text: str, rule: str) -> bool:
    found = reason(text, rule)
    return found is not None and all(text[p:p + len(w)] == w for w, p in found.matches if p >= 0)


# ---- interest above the legal cap, read as a figure ------------------------------------------------

@pytest.mark.parametrize("text, percent", [("捷信年利率高达百分之35.99，借款5600还款要还6562.7元", Decimal("35.99")),
                                           ("后计算利息高达百分之三十六，我们无力偿还", Decimal(36)),
                                           ("本金65000 每月还款3045 36期 年化率37.82%", Decimal("37.82")),
                                           ("借款4万，年利率超过百分之24", Decimal(24)),
                                           ("日利率0.1%，太高了", Decimal("36.5"))])
def test_a_yearly_rate_above_the_cap_is_illegal_lending(text, percent):
    result = run(text)
    found = reason(text, "illegal.rate_above_cap")
    assert result.risk_level == Level.HIGH and found is not None and Decimal(str(found.value)) == percent
    assert spans_point_into_the_text(text, "illegal.rate_above_cap")


@pytest.mark.parametrize("text", ["国家规定年利率不得超过24%，请按规定执行", "年化利率没有超过36%，但是手续费太多",
                                  "宣传的年化利率3.66%，实际是负收益", "收取了30%的服务费"])
def test_a_stated_limit_a_low_rate_or_a_share_that_is_no_rate_does_not_fire(text):
    assert reason(text, "illegal.rate_above_cap") is None
    assert reason(text + "，实际年化利率高达40%", "illegal.rate_above_cap") is not None


def test_a_rate_the_company_itself_quoted_still_counts():
    # Reported speech does not cancel a figure: the company's own rate is the rate charged.
    assert reason("客服说年化利率是36%，这还不是高利贷吗", "illegal.rate_above_cap") is not None


def test_rates_are_read_with_their_place():
    (rate,) = rates_in("贷款的年化利率高达40%")
    assert rate.percent == 40 and "贷款的年化利率高达40%"[rate.start:rate.end] == "年化利率高达40%"


@pytest.mark.parametrize("cap", ["0", "-5", "2000"])
def test_a_cap_that_makes_no_sense_is_refused(cap):
    with pytest.raises(PolicyError, match="legal_rate_cap: Input should be (greater than 0|less than or equal to 1000)"):
        load_policy_text(f"extends: default\nname: x\nversion: '1'\nmoney: {{legal_rate_cap: {cap}}}\n")


def test_without_a_cap_no_rate_is_read():
    policy = load_policy_text("extends: default\nname: x\nversion: '1'\nmoney: {legal_rate_cap: null}\n")
    assert "illegal.rate_above_cap" not in {r.rule for r in assess(Facts(text="年化利率高达40%"), None, policy).reasons}


# ---- instalment totals ------------------------------------------------------------------------------

def test_an_instalment_total_of_ten_thousand_or_more_is_a_major_loss():
    text = "贷款5万，每月还款1926.69，分51期，利息太高"
    found = reason(text, "money.high_amount")
    assert found is not None and found.code == "instalments" and run(text).risk_level == Level.HIGH


def test_a_principal_without_a_loss_word_is_still_medium():
    assert run("我在平台借了5万元，想申请延期还款").risk_level == Level.MEDIUM
    assert run("我在平台借了5万元，每月还款1926.69，分51期，想申请延期还款").risk_level == Level.HIGH


def test_the_instalment_reading_is_the_policys_choice():
    policy = load_policy_text("extends: default\nname: x\nversion: '1'\nmoney: {totals_as_loss: []}\n")
    text = "每月还款1926.69，分51期"
    assert "money.high_amount" not in {r.rule for r in assess(Facts(text=text), None, policy).reasons}
    with pytest.raises(PolicyError, match="totals_as_loss"):
        load_policy_text("extends: default\nname: x\nversion: '1'\nmoney: {totals_as_loss: [guess]}\n")


# ---- loan scams told as a story ---------------------------------------------------------------------

@pytest.mark.parametrize("text", ["申请通过后提现显示卡号错误，钱没有到账但是还款账单出来了",
                                  "放款时说我银行卡号写错了，需要交钱解冻"])
def test_a_wrong_card_number_story_is_a_loan_scam(text):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, "illegal.loan_scam")


def test_a_card_number_that_was_not_wrong_is_no_scam():
    assert reason("我核对过，卡号没有写错，款项已经正常到账", "illegal.loan_scam") is None
    assert reason("我核对过，他们说卡号写错了，款项没有到账", "illegal.loan_scam") is not None


def test_the_scammers_own_words_are_the_scam():
    # Reported speech does not cancel it: "they said the number was wrong" is exactly how the story goes.
    assert reason("客服说我卡号填错了，要先转钱过去", "illegal.loan_scam") is not None


@pytest.mark.parametrize("text", ["客服让我交2000元工本费才能开通下款通道", "以服务费和保证金为由让我转钱才能放款"])
def test_an_advance_fee_before_a_loan_is_paid_out_is_illegal(text):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, "illegal.advance_fee")


def test_no_advance_fee_and_a_card_fee_far_from_any_loan_do_not_fire():
    assert reason("这笔贷款没有任何保证金，放款很快", "illegal.advance_fee") is None
    assert reason("补办银行卡扣了工本费10元", "illegal.advance_fee") is None
    assert reason("这笔贷款要先交保证金，才放款", "illegal.advance_fee") is not None


def test_an_advance_fee_in_the_companys_mouth_still_counts():
    assert reason("对方说要先交保证金才能放款", "illegal.advance_fee") is not None


# ---- debits and products the customer never agreed to, in other words -------------------------------

@pytest.mark.parametrize("text", ["查账单发现每月扣用卡安全保障5元，并没有订购过这个业务",
                                  "本人解绑了所有支付平台，今天查看余额被莫名其妙支付了八千多",
                                  "在我不知道的情况下买了个什么保险", "扫码支付停车费，无端提示投保成功"])
def test_an_unagreed_debit_said_in_other_words_is_illegal(text):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, "illegal.unconsented")


def test_not_understanding_a_fee_is_no_denial_of_consent():
    assert reason("不明白为什么要扣费", "illegal.unconsented") is None
    assert reason("不明扣费，也没有短信通知", "illegal.unconsented") is not None


# ---- emergencies: self-harm and harm in other words; rhetoric is not one ---------------------------

@pytest.mark.parametrize("text", ["我看银行是要逼人自尽呢，我已经准备好了", "我会在临死之前写上遗书",
                                  "我奶奶有个什么闪失，我也就不活了", "再这样暴力催收下去，真的要出人命了"])
def test_self_harm_and_danger_to_life_said_in_other_words_are_emergencies(text):
    assert run(text).emergency and "safety.self_harm" in {r.rule for r in run(text).reasons}


def test_a_denied_self_harm_thought_is_no_emergency():
    assert not run("请放心，我不会自杀的，只想协商还款").emergency


def test_a_relatives_self_harm_words_told_by_the_customer_are_still_an_emergency():
    # Reported speech does not cancel self-harm: the person at risk is the one quoted.
    assert run("我妈说再催下去她就不活了").emergency


def test_a_relative_made_ill_by_the_collectors_is_an_emergency():
    text = "催收电话天天打，家里老人已经被气住院了"
    assert run(text).emergency and spans_point_into_the_text(text, "safety.health_harm")
    assert not run("家里老人没有被气住院，只是很生气").emergency


@pytest.mark.parametrize("text", ["中信银行是要逼死人吗？打了客服也没有回复", "请求银行给条活路，让我分期还款"])
def test_rhetorical_despair_is_anger_not_an_emergency(text):
    result = run(text)
    assert not result.emergency and "emotion.despair_rhetoric" in {r.rule for r in result.reasons}


def test_rising_hard_and_half_asleep_are_no_danger():
    assert not run("利息每个月拼命涨，无力偿还").emergency
    assert not run("当时我昏昏迷迷在睡觉当中，他就把套装寄过来了").emergency
    assert run("再这样我就跟你们拼了").emergency


# ---- fewer false alarms ------------------------------------------------------------------------------

def test_an_insurance_claim_reported_to_the_insurer_is_no_police_matter():
    assert reason("保险出险后已经报案，理赔员一直联系不上", "compliance.police") is None
    assert reason("我已经报警了，派出所也立案了", "compliance.police") is not None


@pytest.mark.parametrize("text, rule", [("办了一张东航联名信用卡，年费没说清楚", "mass.group"),
                                         ("逾期减免一百多元利息", "mass.group"),
                                         ("因为单位拖欠工资，导致贷款逾期了", "illegal.collection"),
                                         ("要求官方客服联系我，不跟第三方联系", "illegal.third_party"),
                                         ("属于欺诈消费者，额度不恢复", "illegal.fraud")])
def test_words_that_fired_on_ordinary_complaints_no_longer_do(text, rule):
    assert reason(text, rule) is None


def test_calls_to_the_employer_are_still_pressure_on_a_third_party():
    # "公司" alone is as often the lender itself; the employer is named as such.
    assert reason("贵公司的客服打电话给我", "illegal.third_party") is None
    assert run("天天往我上班的公司打电话，严重影响我的正常生活").risk_level == Level.HIGH


# ---- loans never taken out --------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["今天查征信才发现有笔8000块的贷款，可是本人从来就没有在捷信金融贷过款",
                                  "被长安银行扣了将近3000，然后查了没有从长安银行借款"])
def test_a_loan_the_customer_never_took_out_is_illegal(text):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, "illegal.denied_loan")


def test_a_loan_taken_out_elsewhere_is_no_denial():
    assert reason("我没有逾期，在招联借款后一直按时还款", "illegal.denied_loan") is None
    assert reason("我没有在招联借款，却一直收到催款短信", "illegal.denied_loan") is not None


def test_a_denied_loan_in_someone_elses_mouth_still_counts():
    # The denial is the customer's own ("not reported speech"): a clerk's sentence before it changes nothing.
    assert reason("客服说已经放款了，可我根本没有在这个平台借款", "illegal.denied_loan") is not None


# ---- a regulation or a court cited is not going there ----------------------------------------------

def test_a_regulation_cited_is_no_complaint_to_the_regulator():
    assert reason("按照《中国人民银行关于信用卡业务有关事项的通知》，应当取消滞纳金", "compliance.regulator") is None
    assert reason("逾期记录已经上报央行征信", "compliance.regulator") is None
    assert reason("我已经向人民银行投诉了", "compliance.regulator") is not None


def test_the_company_threatening_to_sue_is_not_the_customer_going_to_court():
    assert reason("银行法务态度极差，只有还本金一个方案，否则就要起诉", "compliance.legal") is None
    assert reason("银行不协商还款，还发起诉讼", "compliance.legal") is None
    assert reason("再不退款我就去法院起诉你们", "compliance.legal") is not None
    # Reported speech keeps cancelling, as before.
    assert reason("客服说可以去法院起诉", "compliance.legal") is None


def test_unknowingly_opened_and_unexplained_payments_are_unagreed():
    assert reason("信用卡自动开通了健康管家权益，本人未知情的情况开通", "illegal.unconsented") is not None
    assert reason("无缘无故的开始缴费了，关闭不了自动续费", "illegal.unconsented") is not None
    assert reason("我知情，是我自己开通的，缴费也正常", "illegal.unconsented") is None


def test_a_record_the_customer_cannot_find_is_a_service_failure_not_an_enquiry():
    result = run("这个保单号查不到，我要求退保")
    assert result.risk_level == Level.MEDIUM and "baseline.enquiry" not in {r.rule for r in result.reasons}


# ---- lending to students, rates against the national standard, scams and unagreed products in more words

@pytest.mark.parametrize("text", ["众邦银行给大学生放款，公然无视国家法律", "海尔消费金融在没有核实的情况下向大学生发放贷款"])
def test_lending_to_students_is_illegal(text):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, "illegal.student_loan")


def test_a_student_without_a_loan_or_a_loan_not_to_a_student_is_no_student_loan():
    assert reason("我是大学生，想咨询信用卡怎么办理", "illegal.student_loan") is None
    assert reason("平台没有向学生放款，我是上班以后借的", "illegal.student_loan") is None
    assert reason("平台向在校学生放款", "illegal.student_loan") is not None


def test_a_student_loan_the_company_admits_still_counts():
    # Reported speech does not cancel it: the clerk confirming it is the evidence.
    assert reason("客服说他们可以给在校生放款", "illegal.student_loan") is not None


@pytest.mark.parametrize("text", ["利息都不符合国家标准", "现在还的钱早就超过了国家利息标准", "这家消费金融年化率超高"])
def test_interest_against_the_national_standard_is_illegal(text):
    assert "illegal.rate_cap" in {r.rule for r in run(text).reasons}


@pytest.mark.parametrize("text, rule", [("要收取百分之五的印花费才能拿到取款密码", "illegal.fraud"),
                                         ("不投保就不给放款，这是敲诈", "illegal.fraud"),
                                         ("以开红包的方式骗领保单", "illegal.fraud"),
                                         ("办理信用卡分期，自动订购了一个叫还款宝的业务", "illegal.unconsented"),
                                         ("我没做分期，不知道为什么给我弄的分期还款", "illegal.unconsented"),
                                         ("保险公司自作主张的给我一直续保", "illegal.unconsented")])
def test_scams_and_unagreed_products_in_more_words(text, rule):
    assert run(text).risk_level == Level.HIGH and spans_point_into_the_text(text, rule)


def test_a_negation_reaches_over_a_preposition():
    # "没有向 …", "没给 …": the negation still stands before the thing denied.
    assert reason("我还没有向银保监投诉，希望先协商", "compliance.regulator") is None
    assert reason("我已经向银保监投诉", "compliance.regulator") is not None
