import csv
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.risk import Facts, PolicyError, assess, load_policy
from tousu.risk.evaluation import risk_metrics


class Command(BaseCommand):
    help = "Measure the risk policy (`risk CSV`: columns text,risk[,emergency]) or a type model (`type CSV`)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["risk", "type"])
        parser.add_argument("csv")
        parser.add_argument("--policy", default="default", help="shipped policy name or a YAML file")
        parser.add_argument("--model", help="model directory (for `type`)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, what: str, csv: str, policy: str, model: str | None, json: bool, **options):
        path = Path(csv)
        if not path.is_file():
            raise CommandError(f"csv: {path} does not exist")
        if what == "type":
            from tousu.risk.learning import TrainingError, evaluate_type

            if not model:
                raise CommandError("--model: the directory written by `tousu train type`")
            try:
                metrics = evaluate_type(path, Path(model))
            except (TrainingError, FileNotFoundError) as exc:
                raise CommandError(str(exc)) from None
        else:
            metrics = self._risk(path, policy)
        if json:
            self.stdout.write(_dumps(metrics))
            return
        self._table(metrics)

    def _risk(self, path: Path, policy_name: str) -> dict:
        try:
            policy = load_policy(policy_name)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        gold, predicted, gold_emergency, predicted_emergency = [], [], [], []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = _csv_reader(handle)
            if not reader.fieldnames or not {"text", "risk"} <= set(reader.fieldnames):
                raise CommandError("csv: needs the columns text and risk (and optionally emergency)")
            has_emergency = "emergency" in reader.fieldnames
            for number, row in enumerate(reader, start=2):
                level = (row["risk"] or "").strip().lower()
                if level not in ("high", "medium", "low"):
                    raise CommandError(f"csv: row {number}, column risk: {row['risk']!r} is not high/medium/low")
                result = assess(Facts(text=row["text"] or ""), None, policy)
                gold.append(level)
                predicted.append(result.risk_level.value)
                if has_emergency:
                    gold_emergency.append((row["emergency"] or "").strip().lower() in ("yes", "true", "1"))
                    predicted_emergency.append(result.emergency)
        metrics = risk_metrics(gold, predicted, gold_emergency if has_emergency else None,
                               predicted_emergency if has_emergency else None)
        metrics["policy"] = {"name": policy.name, "version": policy.version}
        return metrics

    def _table(self, metrics: dict) -> None:
        if "levels" not in metrics:
            self.stdout.write(f"macro-F1 {metrics['macro_f1']:.4f}  accuracy {metrics['accuracy']:.4f}  n {metrics['n']}")
            for label, row in metrics["per_label"].items():
                self.stdout.write(f"  {label:<12} P {row['precision']:.3f}  R {row['recall']:.3f}  F1 {row['f1']:.3f}"
                                  f"  n {row['support']}")
            return
        self.stdout.write("level    precision  recall   f1      support")
        for level, row in metrics["levels"].items():
            self.stdout.write(f"{level:<8} {row['precision']:<10.3f} {row['recall']:<8.3f} {row['f1']:<7.3f} {row['support']}")
        self.stdout.write("confusion (rows: labelled, columns: assessed): " + _dumps(metrics["confusion"]))
        self.stdout.write(f"emergency recall: {metrics['emergency_recall']}   n: {metrics['n']}")


def _csv_reader(handle):
    return csv.DictReader(handle)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
