from pathlib import Path

import pytest

from tousu.risk import learning
from tousu.risk.learning import TrainingError

# ../shared beside the checkout, or the product side's copy on this machine (CI clones elsewhere).
FINANCE = next((p for p in (Path(__file__).resolve().parents[4].parent / "shared", Path("/work/shared"))
                if (p / "datasets" / "zh-heimao-finance").is_dir()), Path("/nonexistent")) / "datasets" / "zh-heimao-finance"

_TOPICS = {
    "delivery": ["快递一直没有送到", "物流停在中转站十天", "包裹显示签收但我没收到", "配送员不送货上门"],
    "billing": ["银行擅自扣费", "账单多收了服务费", "没有订购却被扣钱", "年费没有告知就收取"],
    "service": ["客服态度很差", "电话打了十次没人接", "客服挂我电话", "工作人员推诿不处理"],
}


def _examples(repeat: int = 4) -> tuple[list[str], list[str], list[str]]:
    texts, labels, risks = [], [], []
    for n in range(repeat):
        for label, phrases in _TOPICS.items():
            for phrase in phrases:
                texts.append(f"{phrase}，第{n}次反映，请尽快处理")
                labels.append(label)
                risks.append("high" if label == "billing" else "low")
    return texts, labels, risks


def test_it_suggests_the_type_it_learned_with_a_confidence():
    texts, labels, risks = _examples()
    model = learning.train(texts, labels, risks)
    [billing, delivery] = model.suggest(["信用卡被擅自扣费了", "快递到现在还没送到"])
    assert billing.complaint_type == "billing" and delivery.complaint_type == "delivery"
    assert 0 < delivery.confidence <= 1
    assert billing.high_risk_probability is not None and billing.high_risk_probability > 0.5
    assert billing.possible_high_risk and not delivery.possible_high_risk


def test_without_risk_labels_there_is_no_high_risk_opinion():
    texts, labels, _risks = _examples()
    [suggestion] = learning.train(texts, labels).suggest(["客服态度很差"])
    assert suggestion.high_risk_probability is None and not suggestion.possible_high_risk


def test_a_saved_model_loads_and_answers_the_same(tmp_path):
    texts, labels, risks = _examples()
    model = learning.train(texts, labels, risks, source="unit")
    model.save(tmp_path)
    again = learning.load(tmp_path)
    probe = ["客服挂我电话", "包裹没收到"]
    assert [s.as_dict() for s in again.suggest(probe)] == [s.as_dict() for s in model.suggest(probe)]
    assert again.meta["source"] == "unit" and again.meta["examples"] == len(texts)
    assert again.version == model.version


@pytest.mark.parametrize(("labels", "message"), [
    (["a"] * 12, "at least two different labels"),
    (["a"] * 10 + ["b"] * 2, "fewer than 3 examples for b"),
])
def test_it_refuses_examples_that_cannot_train(labels, message):
    with pytest.raises(TrainingError, match=message):
        learning.train([f"文本{i}" for i in range(len(labels))], labels)


def test_a_csv_without_label_column_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("text,risk\n你好,low\n", encoding="utf-8")
    with pytest.raises(TrainingError, match="text and label"):
        learning.read_examples(path)


def test_evaluation_reports_macro_f1_accuracy_and_per_label(tmp_path):
    texts, labels, _risks = _examples()
    model = learning.train(texts, labels)
    metrics = learning.evaluate(model, texts, labels)
    assert set(metrics) >= {"macro_f1", "accuracy", "per_label", "n"}
    assert metrics["n"] == len(texts) and metrics["accuracy"] > 0.9
    assert set(metrics["per_label"]) == set(_TOPICS)


@pytest.mark.skipif(not FINANCE.is_dir(), reason="needs ../shared/datasets")
def test_it_beats_the_plain_baseline_on_heimao_finance():
    texts, labels, _risks = learning.read_examples(FINANCE / "train.csv")
    model = learning.train(texts, labels)
    dev_texts, dev_labels, _ = learning.read_examples(FINANCE / "dev.csv")
    # The baseline (TF-IDF char 1–3-grams + logistic regression) scores 0.637 here.
    assert learning.evaluate(model, dev_texts, dev_labels)["macro_f1"] > 0.637
