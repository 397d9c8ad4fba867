import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.risk.labelled import LabelError, read_labelled
from tousu.risk.learning import TrainingError, read_examples, train


class Command(BaseCommand):
    help = ("Train the type model (R-RA-8) on a CSV with columns text,label[,risk], or on the database's "
            "closed complaints when no CSV is given, and write it to --out.")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["type", "risk"])
        parser.add_argument("csv", nargs="?")
        parser.add_argument("--texts", help="for `risk` with labels keyed by row: the dataset they label")
        parser.add_argument("--split", default="all", help="for `risk`: the side of split.json to train on (tune)")
        parser.add_argument("--out", help="model directory (default: TOUSU_MODEL_DIR, which intake uses)")

    def handle(self, *args, what: str, csv: str | None, out: str | None, texts: str | None, split: str, **options):
        directory = Path(out) if out else Path(settings.TOUSU_MODEL_DIR)
        try:
            if what == "risk":
                texts_, risks_, source = _risk_examples(csv, texts, split)
                model = train(texts_, None, risks_, source=source, now=timezone.now())
            elif csv:
                path = Path(csv)
                if not path.is_file():
                    raise CommandError(f"csv: {path} does not exist")
                texts, labels, risks = read_examples(path)
                source = path.name
            else:
                texts, labels, risks = _closed_complaints()
                source = "database: closed complaints"
            if what == "type":
                model = train(texts, labels, risks, source=source, now=timezone.now())
        except (TrainingError, LabelError) as exc:
            raise CommandError(str(exc)) from None
        model.save(directory)
        self.stdout.write(json.dumps({"out": str(directory), **model.meta}, ensure_ascii=False))


def _risk_examples(csv: str | None, texts: str | None, split: str) -> tuple[list[str], list[str], str]:
    """Labelled rows (a `text,risk` CSV or row-keyed labels with --texts), or the closed complaints with
    their final level when no CSV is given."""
    if not csv:
        rows, _labels, risks = _closed_complaints()
        return rows, risks, "database: closed complaints"
    path = Path(csv)
    if not path.is_file():
        raise CommandError(f"csv: {path} does not exist")
    labelled = read_labelled(path, texts=Path(texts) if texts else None, split=split)
    return [r.text for r in labelled], [r.risk for r in labelled], f"{path.name} ({split})"


def _closed_complaints() -> tuple[list[str], list[str], list[str]]:
    rows = (Complaint.objects.filter(status__in=ENDED).exclude(complaint_type="")
            .values_list("text", "complaint_type", "risk_level"))
    texts, labels, risks = [], [], []
    for text, label, risk in rows.iterator():
        texts.append(text)
        labels.append(label)
        risks.append(risk)
    if not texts:
        raise TrainingError("database: no closed complaints with a type to learn from; give a CSV")
    return texts, labels, risks
