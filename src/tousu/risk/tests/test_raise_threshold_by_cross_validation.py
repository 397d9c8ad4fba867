"""`cross_validate_raise`: the threshold from which the high-risk model may raise is chosen on rows each fold's
model never saw, and the rules' own figures stay beside it."""

import pytest

from tousu.risk.learning import TrainingError, cross_validate_raise

HIGH = ["催收打电话给我父母", "未经同意开通会员扣费", "银行乱扣年费", "年化利率超过国家规定", "泄露我的个人信息",
        "莫名其妙扣了会员费", "我要去银保监投诉", "在我不知情的情况下贷款", "暴力催收威胁家人", "被骗了两万元"]
OTHER = ["请问怎么还款", "想咨询一下额度", "客服态度一般", "app登录不了", "快递慢了两天", "想提前还款怎么操作",
         "积分兑换失败", "希望能延期还款", "客服电话打不通", "额度降低了想恢复"]


def _rows(copies: int = 2):
    texts = [f"{t}，第{n}次" for n in range(copies) for t in HIGH + OTHER]
    risks = (["high"] * len(HIGH) + ["medium"] * len(OTHER)) * copies
    return texts, risks


def test_the_model_raises_what_the_rules_missed_and_the_curve_says_at_what_cost():
    texts, risks = _rows()
    # Rules that catch only the first half of the high rows.
    rules_high = [r == "high" and i % len(HIGH + OTHER) < 5 for i, r in enumerate(risks)]
    report = cross_validate_raise(texts, risks, rules_high, folds=4, repeats=2, thresholds=[0.5, 0.99])
    assert report["rules"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}
    low, high = report["curve"]
    assert low["recall"] > report["rules"]["recall"]  # the model found high rows the rules missed
    assert high["recall"] >= report["rules"]["recall"] and low["recall"] >= high["recall"]
    assert report["best_raise_from"] in (0.5, 0.99) and report["folds"] == 4 and report["rows"] == len(texts)


def test_the_model_never_takes_away_what_the_rules_found():
    texts, risks = _rows()
    rules_high = [r == "high" for r in risks]
    report = cross_validate_raise(texts, risks, rules_high, folds=2, repeats=1)
    assert all(step["recall"] == 1.0 for step in report["curve"])


@pytest.mark.parametrize("folds", [1, 50])
def test_folds_the_rows_cannot_fill_are_refused(folds):
    texts, risks = _rows(1)
    with pytest.raises(TrainingError, match="folds"):
        cross_validate_raise(texts, risks, [False] * len(texts), folds=folds)
