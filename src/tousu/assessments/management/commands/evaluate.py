import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.risk import Facts, PolicyError, assess, load_policy
from tousu.risk.evaluation import label_metrics, risk_metrics
from tousu.risk.labelled import LabelError, read_labelled
from tousu.risk.learning import combine
from tousu.risk.learning import load as load_model


class Command(BaseCommand):
    help = "Measure the risk policy (`risk CSV`: columns text,risk[,emergency]) or a type model (`type CSV`)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["risk", "type"])
        parser.add_argument("csv")
        parser.add_argument("--policy", default="default", help="shipped policy name or a YAML file")
        parser.add_argument("--model", help="model directory (for `type`; without it, `type` measures the policy's "
                                               "type rules; for `risk`: also the model alone and the rules with it)")
        parser.add_argument("--baseline", help="for `type`: a training CSV; also train and score the plain baseline "
                                                  "(TF-IDF char 1-3 + logistic regression) in the same run")
        parser.add_argument("--texts", help="the dataset a row-keyed label file labels (its `row` column)")
        parser.add_argument("--split", default="all", help="with a row-keyed label file: frozen, tune or all "
                                                          "(the sides recorded in split.json beside it)")
        parser.add_argument("--cv", type=int, help="for `risk`: K-fold cross-validation of the high-risk model on these "
                                                    "rows (never the frozen split): the rules with the model raising "
                                                    "from each threshold, and the best one")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, what: str, csv: str, policy: str, model: str | None, json: bool,
               texts: str | None, split: str, baseline: str | None = None, cv: int | None = None, **options):
        path = Path(csv)
        if not path.is_file():
            raise CommandError(f"csv: {path} does not exist")
        if what == "type":
            from tousu.risk.learning import TrainingError, evaluate_type

            try:
                if model:
                    metrics = evaluate_type(path, Path(model), Path(baseline) if baseline else None)
                else:
                    metrics = self._type_rules(path, policy)
            except (TrainingError, FileNotFoundError) as exc:
                raise CommandError(str(exc)) from None
        else:
            if cv is not None and split == "frozen":
                raise CommandError("--cv trains models on the rows it is given; the frozen split is only measured, "
                                   "give --split tune")
            metrics = self._risk(path, policy, texts=Path(texts) if texts else None, split=split,
                                 model=Path(model) if model else None, cv=cv)
        if json:
            self.stdout.write(_dumps(metrics))
            return
        self._table(metrics)

    def _risk(self, path: Path, policy_name: str, *, texts: Path | None, split: str, model: Path | None,
              cv: int | None = None) -> dict:
        try:
            policy = load_policy(policy_name)
            rows = read_labelled(path, texts=texts, split=split)
        except (PolicyError, LabelError) as exc:
            raise CommandError(str(exc)) from None
        if not rows:
            raise CommandError(f"csv: {path.name} has no labelled rows" + (f" in the {split} split" if split != "all" else ""))
        has_emergency = all(r.emergency is not None for r in rows)
        gold = [r.risk for r in rows]
        gold_emergency = [bool(r.emergency) for r in rows] if has_emergency else None
        results = [assess(Facts(text=r.text), None, policy) for r in rows]

        def measure(levels, emergencies) -> dict:
            return risk_metrics(gold, levels, gold_emergency, emergencies if has_emergency else None)

        metrics = measure([a.risk_level.value for a in results], [a.emergency for a in results])
        metrics["policy"] = {"name": policy.name, "version": policy.version}
        metrics["split"] = split
        if has_emergency:
            metrics["emergency_false_alarms"] = sum(a.emergency and not g for a, g in zip(results, gold_emergency,
                                                                                              strict=True))
        if cv is not None:
            from tousu.risk.learning import TrainingError, cross_validate_raise

            try:
                metrics["cv"] = cross_validate_raise([r.text for r in rows], gold,
                                                     [a.risk_level.value == "high" for a in results], folds=cv)
            except TrainingError as exc:
                raise CommandError(str(exc)) from None
        if model is not None:
            try:
                text_model = load_model(model)
            except FileNotFoundError as exc:
                raise CommandError(f"--model: {exc}") from None
            if text_model.high_risk is None:
                raise CommandError(f"--model: {model} has no high-risk model; train it with `tousu train risk`")
            suggestions = text_model.suggest([r.text for r in rows])
            threshold = policy.model.raise_from
            alone = ["high" if (s.high_risk_probability or 0) >= threshold else
                     ("medium" if a.risk_level.value == "high" else a.risk_level.value)
                     for s, a in zip(suggestions, results, strict=True)]
            both = [combine(a, s, policy, allowed=True) for a, s in zip(results, suggestions, strict=True)]
            metrics["model"] = {"version": text_model.version, "raise_from": threshold,
                                "model_alone": measure(alone, [a.emergency for a in results])["levels"]["high"],
                                "rules_and_model": measure([b.risk_level.value for b in both],
                                                           [b.emergency for b in both])}
        return metrics

    def _type_rules(self, path: Path, policy_name: str) -> dict:
        """Without --model: the policy's own type rules (the suggested type of every assessment)."""
        from tousu.risk.learning import read_examples

        try:
            policy = load_policy(policy_name)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        texts, labels, _risks = read_examples(path)
        metrics = label_metrics(labels, [assess(Facts(text=t), None, policy).complaint_type for t in texts])
        metrics["policy"] = {"name": policy.name, "version": policy.version}
        return metrics

    def _table(self, metrics: dict) -> None:
        if "levels" not in metrics:
            self.stdout.write(f"macro-F1 {metrics['macro_f1']:.4f}  accuracy {metrics['accuracy']:.4f}  n {metrics['n']}")
            if "baseline" in metrics:
                self.stdout.write(f"baseline macro-F1 {metrics['baseline']['macro_f1']:.4f} ({metrics['baseline']['what']}); "
                                  f"model − baseline {metrics['above_baseline']:+.4f}")
            for label, row in metrics["per_label"].items():
                self.stdout.write(f"  {label:<12} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}"
                                  f"  n {row['support']}")
            return
        self.stdout.write("level    precision  recall   f1      support")
        for level, row in metrics["levels"].items():
            self.stdout.write(f"{level:<8} {row['precision']:<10.3f} {row['recall']:<8.3f} {row['f1']:<7.3f} {row['support']}")
        self.stdout.write("confusion (rows: labelled, columns: assessed): " + _dumps(metrics["confusion"]))
        self.stdout.write(f"emergency recall: {metrics['emergency_recall']} (of {metrics.get('emergency_support')})"
                          f"   false alarms: {metrics.get('emergency_false_alarms')}   n: {metrics['n']}")
        if "cv" in metrics:
            cv = metrics["cv"]
            self.stdout.write(f"{cv['folds']}-fold cross-validation ({cv['repeats']} shuffles) of the high-risk model on "
                              f"these {cv['rows']} rows; "
                              f"high risk, precision / recall / F1: rules {cv['rules']['precision']:.3f} / "
                              f"{cv['rules']['recall']:.3f} / {cv['rules']['f1']:.3f}")
            for step in cv["curve"]:
                self.stdout.write(f"  model raises from {step['raise_from']:.2f}: rules and model {step['precision']:.3f} / "
                                  f"{step['recall']:.3f} / {step['f1']:.3f}; model alone {step['model_alone']['precision']:.3f}"
                                  f" / {step['model_alone']['recall']:.3f}")
            self.stdout.write(f"best F1: raise from {cv['best_raise_from']}")
        if "model" in metrics:
            both = metrics["model"]["rules_and_model"]["levels"]["high"]
            alone = metrics["model"]["model_alone"]
            rules = metrics["levels"]["high"]
            self.stdout.write(f"high risk, precision / recall: rules {rules['precision']:.3f} / {rules['recall']:.3f}; "
                              f"model alone {alone['precision']:.3f} / {alone['recall']:.3f}; rules and model "
                              f"{both['precision']:.3f} / {both['recall']:.3f} (model raises from "
                              f"{metrics['model']['raise_from']})")


def _csv_reader(handle):
    return csv.DictReader(handle)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
