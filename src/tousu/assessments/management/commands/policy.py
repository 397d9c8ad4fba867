import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.assessments.dryrun import policy_diff
from tousu.assessments.models import PolicyVersion
from tousu.assessments.policies import active_policy, store_policy
from tousu.risk import PolicyError, load_policy


class Command(BaseCommand):
    help = ("Risk policies: `diff NEW.yaml --days 30` shows which recent complaints would change level; "
            "`validate FILE`; `activate NAME|FILE` stores a new version and puts it in force; `show`.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["diff", "validate", "activate", "show"])
        parser.add_argument("policy", nargs="?", help="a shipped policy name or a YAML file")
        parser.add_argument("--days", type=int, default=30, help="diff: complaints received in the last N days")
        parser.add_argument("--limit", type=int, default=200, help="diff: list at most this many changes")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, action: str, policy: str | None, days: int, limit: int, json: bool, **options):
        if action == "show":
            version, rules = active_policy()
            self._out({"name": version.name, "version": version.version, "sha256": version.sha256,
                       "stored": PolicyVersion.objects.count()}, json)
            return
        if not policy:
            raise CommandError("policy: give a shipped policy name or a YAML file")
        try:
            rules = load_policy(policy)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        if action == "validate":
            self._out({"valid": True, "name": rules.name, "version": rules.version}, json)
        elif action == "activate":
            try:
                version = store_policy(policy, activate=True)
            except (PolicyError, ValueError) as exc:
                raise CommandError(str(exc)) from None
            self._out({"active": f"{version.name} {version.version}"}, json)
        else:
            if days < 1:
                raise CommandError("--days: must be at least 1")
            report = policy_diff(rules, since=timezone.now() - timedelta(days=days), limit=limit)
            if json:
                self.stdout.write(_dumps(report))
                return
            self._table(report)

    def _out(self, value: dict, as_json: bool) -> None:
        self.stdout.write(_dumps(value) if as_json else "  ".join(f"{k}: {v}" for k, v in value.items()))

    def _table(self, report: dict) -> None:
        self.stdout.write(f"{report['policy']['name']} {report['policy']['version']}: {report['checked']} "
                          f"complaints since {report['since'][:10]}, {report['changed']} would change "
                          f"({report['raised']} up, {report['lowered']} down)")
        for transition, n in sorted(report["transitions"].items()):
            self.stdout.write(f"  {transition}: {n}")
        for change in report["changes"]:
            self.stdout.write(f"  {change['tracking_number']}  {change['before']} → {change['after']}  "
                              f"{','.join(change['factors'])}  {change['text']}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
