"""`tousu model status` and `tousu model activate`: a trained model is used at intake only after a person
with the configure capability has seen its evaluation on labelled rows it was not trained on."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.learning import forget_activations
from tousu.assessments.models import ModelActivation
from tousu.assessments.policies import active_policy
from tousu.risk import Facts, assess
from tousu.risk.evaluation import risk_metrics
from tousu.risk.labelled import LabelError, read_labelled
from tousu.risk.learning import combine, load, text_fingerprint


class Command(BaseCommand):
    help = "Show the trained model and its activation, or activate it after evaluating it on held-out rows."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status")
        status.add_argument("--dir", help="model directory (default: TOUSU_MODEL_DIR)")
        activate = sub.add_parser("activate")
        activate.add_argument("labels", help="labelled rows the model was not trained on (text,risk or row-keyed)")
        activate.add_argument("--texts", help="the dataset row-keyed labels label")
        activate.add_argument("--split", default="all", help="side of split.json to evaluate on (frozen)")
        activate.add_argument("--user", required=True, help="the person activating it (needs the configure capability)")
        activate.add_argument("--dir", help="model directory (default: TOUSU_MODEL_DIR)")

    def handle(self, *args, action: str, dir: str | None, **options):
        directory = Path(dir) if dir else Path(settings.TOUSU_MODEL_DIR)
        try:
            model = load(directory)
        except FileNotFoundError as exc:
            raise CommandError(f"--dir: {exc}") from None
        if action == "status":
            activation = ModelActivation.objects.filter(version=model.version).first()
            self.stdout.write(json.dumps({
                "version": model.version, "source": model.meta.get("source"), "examples": model.meta.get("examples"),
                "activated": activation is not None,
                "activated_by": activation.activated_by.username if activation else None,
                "activated_at": activation.activated_at.isoformat() if activation else None,
                "evaluation": activation.evaluation if activation else None}, ensure_ascii=False))
            return
        self._activate(model, **options)

    def _activate(self, model, *, labels: str, texts: str | None, split: str, user: str, **options) -> None:
        person = User.objects.filter(username=user).first()
        if person is None:
            raise CommandError(f"--user: no user {user!r}")
        if not person.can(Capability.CONFIGURE):
            raise CommandError(f"--user: {user} may not configure Tousu, so may not activate a model")
        if model.high_risk is None and model.types is None:
            raise CommandError("the model directory holds no model")
        try:
            rows = read_labelled(Path(labels), texts=Path(texts) if texts else None, split=split)
        except LabelError as exc:
            raise CommandError(str(exc)) from None
        seen = set(model.meta.get("training_texts", ()))
        overlap = sum(text_fingerprint(r.text) in seen for r in rows)
        if not rows or overlap:
            raise CommandError(f"labels: {overlap} of {len(rows)} rows were used to train the model; evaluate it "
                               "on rows it has not seen")
        _version, policy = active_policy()
        suggestions = model.suggest([r.text for r in rows])
        rules = [assess(Facts(text=r.text), None, policy) for r in rows]
        both = [combine(a, s, policy, allowed=True) for a, s in zip(rules, suggestions, strict=True)]
        gold = [r.risk for r in rows]
        evaluation = {
            "rows": len(rows), "labels": Path(labels).name, "split": split,
            "policy": f"{policy.name} {policy.version}", "may_raise": policy.model.may_raise,
            "raise_from": policy.model.raise_from,
            "rules": risk_metrics(gold, [a.risk_level.value for a in rules])["levels"]["high"],
            "rules_and_model": risk_metrics(gold, [a.risk_level.value for a in both])["levels"]["high"],
        }
        ModelActivation.objects.update_or_create(version=model.version, defaults={
            "source": model.meta.get("source", ""), "evaluation": evaluation, "activated_by": person,
            "activated_at": timezone.now()})
        forget_activations()
        self.stdout.write(json.dumps({"activated": model.version, "by": person.username, "evaluation": evaluation},
                                     ensure_ascii=False))
