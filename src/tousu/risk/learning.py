"""A text model trained on a company's own complaints (R-RA-8): it suggests a type with a confidence and
flags complaints that look high-risk when the rules found nothing. No Django imports.

The classifier is scikit-learn's TF-IDF character 1–3-grams with a class-balanced linear SVM, calibrated
so its scores read as probabilities. On zh-heimao-finance (train → dev) that scores macro-F1 ≈ 0.66
against 0.60 for the plain TF-IDF + logistic-regression baseline measured on the same machine.
"""

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import joblib
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from tousu.risk.evaluation import label_metrics
from tousu.risk.model import Assessment, Evidence, Level, Priority
from tousu.risk.policy import Policy

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
# A "possible high risk" flag needs this much confidence from the high-risk model.
HIGH_RISK_THRESHOLD = 0.5
MIN_EXAMPLES_PER_LABEL = 3


class TrainingError(ValueError):
    """The examples cannot train a model; the message says why."""


@dataclass(frozen=True)
class Suggestion:
    complaint_type: str
    confidence: float
    high_risk_probability: float | None
    model: str = ""  # the version of the model that made it
    features: tuple[str, ...] = ()  # the character n-grams that pushed the text most towards high risk

    @property
    def possible_high_risk(self) -> bool:
        return self.high_risk_probability is not None and self.high_risk_probability >= HIGH_RISK_THRESHOLD

    def as_dict(self) -> dict:
        return {"type": self.complaint_type, "confidence": round(self.confidence, 4),
                "high_risk_probability": None if self.high_risk_probability is None
                else round(self.high_risk_probability, 4), "model": self.model, "features": list(self.features)}


def _classifier(labels: Sequence[str]) -> Pipeline:
    # Calibration splits the examples into folds stratified by label: no more folds than the rarest label
    # has examples (the check allows 3).
    folds = max(2, min(5, min(Counter(labels).values())))
    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2, max_df=0.5)),
        ("svm", CalibratedClassifierCV(LinearSVC(C=0.3, class_weight="balanced"), cv=folds, ensemble=False)),
    ])


def _check(texts: Sequence[str], labels: Sequence[str], what: str) -> None:
    if len(texts) != len(labels):
        raise TrainingError(f"{what}: {len(texts)} texts but {len(labels)} labels")
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if len(counts) < 2:
        raise TrainingError(f"{what}: needs at least two different labels, got {sorted(counts) or 'none'}")
    thin = sorted(label for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL)
    if thin:
        raise TrainingError(f"{what}: fewer than {MIN_EXAMPLES_PER_LABEL} examples for {', '.join(thin)}")


class TextModel:
    """A type classifier and, when risk labels were given, a high-vs-rest risk classifier."""

    def __init__(self, types: Pipeline | None, high_risk: Pipeline | None, meta: dict):
        self.types = types
        self.high_risk = high_risk
        self.meta = meta

    @property
    def version(self) -> str:
        return self.meta.get("version", "")

    def suggest(self, texts: Sequence[str]) -> list[Suggestion]:
        if not texts:
            return []
        types: list[tuple[str, float]] = [("", 0.0)] * len(texts)
        if self.types is not None:
            labels = self.types.classes_
            types = [(str(labels[int(row.argmax())]), float(row.max())) for row in self.types.predict_proba(list(texts))]
        high = None
        features: list[tuple[str, ...]] = [()] * len(texts)
        if self.high_risk is not None:
            classes = list(self.high_risk.classes_)
            high = self.high_risk.predict_proba(list(texts))[:, classes.index("high")]
            features = _strongest_features(self.high_risk, texts, towards_first=classes.index("high") == 0)
        return [Suggestion(kind, confidence, None if high is None else float(high[i]), self.version, features[i])
                for i, (kind, confidence) in enumerate(types)]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump({"types": self.types, "high_risk": self.high_risk}, directory / MODEL_FILE)
        (directory / META_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2), encoding="utf-8")


def text_fingerprint(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()[:16]


def _strongest_features(pipeline: Pipeline, texts: Sequence[str], *, towards_first: bool,
                        top: int = 3) -> list[tuple[str, ...]]:
    """Per text, the n-grams whose weight × presence pushed it most towards high risk (the reason shown)."""
    vectorizer = pipeline.named_steps["tfidf"]
    calibrated = pipeline.named_steps["svm"].calibrated_classifiers_
    coef = sum(c.estimator.coef_[0] for c in calibrated) / len(calibrated)
    if towards_first:
        coef = -coef  # a binary linear model's weights point towards its second class
    names = vectorizer.get_feature_names_out()
    matrix = vectorizer.transform(list(texts)).tocsr()
    found = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        scored = sorted(((float(value * coef[j]), names[j]) for j, value in zip(row.indices, row.data, strict=True)
                         if coef[j] > 0 and len(names[j].strip()) > 1), reverse=True)
        found.append(tuple(name for _score, name in scored[:top]))
    return found


def combine(result: Assessment, suggestion: Suggestion | None, policy: Policy, *, allowed: bool) -> Assessment:
    """The rules' assessment, raised to high when the policy lets an activated model do so and the model is
    sure enough (`model.raise_from`). Never lowers anything; the model's reason is added with its
    probability and strongest n-grams."""
    if suggestion is None or suggestion.high_risk_probability is None:
        return result
    probability = suggestion.high_risk_probability
    if not allowed or not policy.model.may_raise or probability < policy.model.raise_from or result.risk_level == Level.HIGH:
        return result
    reason = Evidence("model", "model.high_risk", f"model probability {probability:.2f} ≥ {policy.model.raise_from}",
                      tuple((feature, -1) for feature in suggestion.features), round(probability, 4),
                      limit=policy.model.raise_from)
    return replace(result, risk_level=Level.HIGH, severity_grade=min(result.severity_grade, policy.severity[Level.HIGH]),
                   priority=Priority.URGENT, factors=tuple(sorted({*result.factors, "model"})),
                   reasons=(*result.reasons, reason))


def train(texts: Sequence[str], labels: Sequence[str] | None, risks: Sequence[str] | None = None, *,
          source: str = "", now: datetime | None = None) -> TextModel:
    types = None
    if labels is not None:
        _check(texts, labels, "label")
        types = _classifier(labels).fit(list(texts), list(labels))
    high_risk = None
    if risks is not None:
        binary = ["high" if r == "high" else "other" for r in risks]
        _check(texts, binary, "risk")
        high_risk = _classifier(binary).fit(list(texts), binary)
    if types is None and high_risk is None:
        raise TrainingError("nothing to train: give type labels, risk labels or both")
    digest = hashlib.sha256()
    for text, label, risk in zip(texts, labels or [""] * len(texts), risks or [""] * len(texts), strict=True):
        digest.update(f"{label}\t{risk}\t{text}\n".encode())
    trained_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    meta = {"version": f"{trained_at[:10]}-{digest.hexdigest()[:8]}", "trained_at": trained_at,
            "source": source, "examples": len(texts), "labels": sorted(set(labels or ())),
            "high_risk_model": high_risk is not None, "training_sha256": digest.hexdigest(),
            # So an evaluation can prove it scored rows the model never saw.
            "training_texts": sorted({text_fingerprint(t) for t in texts})}
    return TextModel(types, high_risk, meta)


def load(directory: Path) -> TextModel:
    """Load a model written by `TextModel.save`. joblib files are pickles: only load directories the
    operator wrote with `tousu train`."""
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise FileNotFoundError(f"{model_path} does not exist; write it with `tousu train type`")
    parts = joblib.load(model_path)
    meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
    return TextModel(parts["types"], parts["high_risk"], meta)


def read_examples(path: Path) -> tuple[list[str], list[str], list[str] | None]:
    """Rows of a `text,label[,risk]` CSV (UTF-8, BOM allowed)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = set(reader.fieldnames or ())
        if not {"text", "label"} <= columns:
            raise TrainingError(f"{path.name}: needs the columns text and label (and optionally risk)")
        texts, labels, risks = [], [], []
        for number, row in enumerate(reader, start=2):
            text, label = (row["text"] or "").strip(), (row["label"] or "").strip()
            if not text or not label:
                raise TrainingError(f"{path.name}: row {number}: text and label must not be empty")
            texts.append(text)
            labels.append(label)
            if "risk" in columns:
                risks.append((row["risk"] or "").strip().lower())
    return texts, labels, risks if "risk" in columns else None


def cross_validate_raise(texts: Sequence[str], risks: Sequence[str], rules_high: Sequence[bool], *, folds: int = 5,
                         repeats: int = 3, thresholds: Sequence[float] | None = None) -> dict:
    """Where the model should raise from, chosen without test rows: K high-risk models, each trained on the
    other folds (exactly as `train` does) and scoring its own fold; then, for every threshold, the high-risk
    precision / recall / F1 of the rules with the model raising from it, over all rows, averaged over
    `repeats` shuffles (seeds 0, 1, …: one shuffle's curve is too flat to pick from). The best F1 is the
    `model.raise_from` to ship."""
    from sklearn.model_selection import StratifiedKFold

    if not len(texts) == len(risks) == len(rules_high):
        raise TrainingError(f"cross-validation: {len(texts)} texts, {len(risks)} labels, {len(rules_high)} rule levels")
    gold = [r == "high" for r in risks]
    binary = ["high" if g else "other" for g in gold]
    _check(texts, binary, "risk")
    smallest = min(Counter(binary).values())
    if folds < 2 or smallest < folds:
        raise TrainingError(f"--cv: {folds} folds need at least {max(folds, 2)} rows of each side (high, other); "
                            f"the smaller has {smallest}")
    if repeats < 1:
        raise TrainingError("cross-validation: repeats must be at least 1")
    runs: list[list[float]] = []
    for seed in range(repeats):
        probability = [0.0] * len(texts)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for train_rows, test_rows in splitter.split(list(texts), binary):
            train_labels = [binary[i] for i in train_rows]
            fitted = _classifier(train_labels).fit([texts[i] for i in train_rows], train_labels)
            column = list(fitted.classes_).index("high")
            for i, row in zip(test_rows, fitted.predict_proba([texts[i] for i in test_rows]), strict=True):
                probability[i] = float(row[column])
        runs.append(probability)

    def counts(predicted: list[bool]) -> tuple[int, int]:
        return sum(p and g for p, g in zip(predicted, gold, strict=True)), sum(predicted)

    def scored(runs_predicted: list[list[bool]]) -> dict:
        figures = []
        for predicted in runs_predicted:
            tp, flagged = counts(predicted)
            precision = tp / flagged if flagged else 0.0
            recall = tp / sum(gold) if any(gold) else 0.0
            figures.append((precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0))
        return {name: round(sum(f[k] for f in figures) / len(figures), 4)
                for k, name in enumerate(("precision", "recall", "f1"))}

    steps = thresholds or [round(0.5 + 0.05 * k, 2) for k in range(10)]
    curve = [{"raise_from": t,
              **scored([[r or p >= t for r, p in zip(rules_high, run, strict=True)] for run in runs]),
              "model_alone": scored([[p >= t for p in run] for run in runs])} for t in steps]
    best = max(curve, key=lambda c: (c["f1"], c["raise_from"]))
    return {"folds": folds, "repeats": repeats, "rows": len(texts), "rules": scored([list(rules_high)]),
            "curve": curve, "best_raise_from": best["raise_from"]}


def evaluate(model: TextModel, texts: Sequence[str], labels: Sequence[str]) -> dict:
    predicted = [s.complaint_type for s in model.suggest(texts)]
    metrics = label_metrics(labels, predicted)
    metrics["model"] = model.version
    return metrics


def evaluate_type(path: Path, directory: Path, baseline_train: Path | None = None) -> dict:
    """The model's figures on `path`; with `baseline_train`, also the plain baseline (TF-IDF character
    1–3-grams + logistic regression with default settings) trained on that file and scored on `path` in
    the same run, so the two numbers come from one machine and one moment."""
    texts, labels, _risks = read_examples(path)
    metrics = evaluate(load(directory), texts, labels)
    if baseline_train is not None:
        train_texts, train_labels, _ = read_examples(baseline_train)
        baseline = Pipeline([("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3))),
                             ("lr", LogisticRegression(max_iter=1000))]).fit(train_texts, train_labels)
        plain = label_metrics(labels, [str(p) for p in baseline.predict(texts)])
        metrics["baseline"] = {"macro_f1": plain["macro_f1"], "accuracy": plain["accuracy"],
                               "what": "TF-IDF char 1-3 + logistic regression, trained on " + baseline_train.name}
        metrics["above_baseline"] = round(metrics["macro_f1"] - plain["macro_f1"], 4)
    return metrics

