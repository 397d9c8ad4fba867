"""Quality figures for labelled sets: per-level precision / recall / F1, confusion, emergency recall."""

from collections import Counter
from collections.abc import Sequence

LEVELS = ("high", "medium", "low")


def _prf(tp: int, predicted: int, actual: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def risk_metrics(gold: Sequence[str], predicted: Sequence[str], gold_emergency: Sequence[bool] | None = None,
                 predicted_emergency: Sequence[bool] | None = None) -> dict:
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    pairs = Counter(zip(gold, predicted, strict=True))
    levels: dict[str, dict] = {}
    for level in LEVELS:
        tp = pairs[(level, level)]
        predicted_count = sum(n for (_g, p), n in pairs.items() if p == level)
        actual = sum(n for (g, _p), n in pairs.items() if g == level)
        levels[level] = {**_prf(tp, predicted_count, actual), "support": actual}
    confusion = {g: {p: pairs[(g, p)] for p in LEVELS} for g in LEVELS}
    result: dict = {"levels": levels, "confusion": confusion, "n": len(gold)}
    if gold_emergency is not None and predicted_emergency is not None:
        caught = [p for g, p in zip(gold_emergency, predicted_emergency, strict=True) if g]
        result["emergency_recall"] = round(sum(caught) / len(caught), 4) if caught else None
        result["emergency_support"] = len(caught)
    else:
        result["emergency_recall"] = None
    return result


def label_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Macro-F1, accuracy and per-label figures for a type classifier."""
    labels = sorted(set(gold) | set(predicted))
    pairs = Counter(zip(gold, predicted, strict=True))
    per_label = {}
    for label in labels:
        tp = pairs[(label, label)]
        per_label[label] = {**_prf(tp, sum(n for (_g, p), n in pairs.items() if p == label),
                                   sum(n for (g, _p), n in pairs.items() if g == label)),
                            "support": sum(n for (g, _p), n in pairs.items() if g == label)}
    gold_labels = sorted(set(gold))
    macro = sum(per_label[label]["f1"] for label in gold_labels) / len(gold_labels) if gold_labels else 0.0
    accuracy = sum(pairs[(label, label)] for label in labels) / len(gold) if gold else 0.0
    return {"macro_f1": round(macro, 4), "accuracy": round(accuracy, 4), "per_label": per_label, "n": len(gold)}
