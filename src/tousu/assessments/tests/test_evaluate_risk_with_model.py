"""`tousu train risk` then `tousu evaluate risk --model`: the rules alone, the model alone and both together;
`--cv K` picks the raising threshold on the given rows and never on the frozen split."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

HIGH = ["催收打电话给我父母", "未经同意开通会员扣费", "银行乱扣年费", "年化利率超过国家规定", "泄露我的个人信息",
        "莫名其妙扣了会员费", "我要去银保监投诉", "在我不知情的情况下贷款", "暴力催收威胁家人", "被骗了两万元"]
OTHER = ["请问怎么还款", "想咨询一下额度", "客服态度一般", "app登录不了", "快递慢了两天", "想提前还款怎么操作",
         "积分兑换失败", "希望能延期还款", "客服电话打不通", "额度降低了想恢复"]


@pytest.fixture
def labelled(tmp_path):
    """Row-keyed labels with their texts and a split, as labels/ keeps them."""
    texts = [f"{t}，第{n}次" for n in range(3) for t in HIGH + OTHER]
    risks = (["high"] * len(HIGH) + ["medium"] * len(OTHER)) * 3
    (tmp_path / "texts.csv").write_text("text,label\n" + "".join(f"{t},0\n" for t in texts), encoding="utf-8")
    (tmp_path / "labels.csv").write_text("row,risk,emergency\n" + "".join(f"{i},{r},no\n" for i, r in enumerate(risks)),
                                         encoding="utf-8")
    frozen = list(range(0, len(texts), 5))
    (tmp_path / "split.json").write_text(json.dumps({"frozen": frozen, "tune": [i for i in range(len(texts))
                                                                                if i not in frozen]}), encoding="utf-8")
    return tmp_path


def test_it_reports_rules_alone_model_alone_and_both(labelled):
    model = labelled / "model"
    call_command("train", "risk", str(labelled / "labels.csv"), "--texts", str(labelled / "texts.csv"),
                 "--split", "tune", "--out", str(model), stdout=io.StringIO())
    out = io.StringIO()
    call_command("evaluate", "risk", str(labelled / "labels.csv"), "--texts", str(labelled / "texts.csv"),
                 "--split", "frozen", "--model", str(model), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["split"] == "frozen" and report["n"] == 12
    assert set(report["model"]) >= {"model_alone", "rules_and_model", "raise_from", "version"}
    rules, both = report["levels"]["high"], report["model"]["rules_and_model"]["levels"]["high"]
    assert both["recall"] >= rules["recall"]  # the model only raises


def test_cross_validation_prints_the_curve_and_the_best_threshold(labelled):
    out = io.StringIO()
    call_command("evaluate", "risk", str(labelled / "labels.csv"), "--texts", str(labelled / "texts.csv"),
                 "--split", "tune", "--cv", "3", stdout=out)
    text = out.getvalue()
    assert "3-fold cross-validation (3 shuffles)" in text and "model raises from 0.75" in text
    assert "best F1: raise from" in text


def test_cross_validation_on_the_frozen_split_is_refused(labelled):
    with pytest.raises(CommandError, match="frozen split is only measured"):
        call_command("evaluate", "risk", str(labelled / "labels.csv"), "--texts", str(labelled / "texts.csv"),
                     "--split", "frozen", "--cv", "3")
