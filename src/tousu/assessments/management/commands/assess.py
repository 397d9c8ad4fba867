import json
import multiprocessing
import os
import sys
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from tousu.risk import Facts, PolicyError, assess, load_policy

_FACT_FIELDS = {"text", "channel", "amount", "customer_level", "product", "lot", "region",
                "quantity_delivered", "quantity_defective"}


def facts_from(record: dict) -> Facts:
    values = {k: v for k, v in record.items() if k in _FACT_FIELDS and v not in (None, "")}
    if not values.get("text"):
        raise ValueError("text: missing or empty")
    if not isinstance(values["text"], str):
        raise ValueError("text: must be a string")
    if "amount" in values:
        try:
            amount = Decimal(str(values["amount"]))
        except InvalidOperation:
            raise ValueError(f"amount: {values['amount']!r} is not a number of yuan") from None
        if isinstance(values["amount"], bool | dict | list) or not amount.is_finite() or amount < 0:
            raise ValueError(f"amount: {values['amount']!r} is not a number of yuan")
        values["amount"] = amount
    for name in ("quantity_delivered", "quantity_defective"):
        if name in values and (not isinstance(values[name], int) or isinstance(values[name], bool)
                               or values[name] < 0):
            raise ValueError(f"{name}: {values[name]!r} is not a whole number ≥ 0")
    for name in ("channel", "customer_level", "product", "lot", "region"):
        if name in values and not isinstance(values[name], str):
            raise ValueError(f"{name}: must be a string")
    return Facts(**values)


class Command(BaseCommand):
    help = "Print the risk assessment of a text without storing anything (stdin: text, or JSON lines)."

    def add_arguments(self, parser):
        parser.add_argument("text", nargs="?", help="the complaint text (default: read stdin)")
        parser.add_argument("--policy", default="default", help="shipped policy name or a YAML file")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--json", action="store_true", help="one text on stdin → one JSON object")
        mode.add_argument("--jsonl", action="store_true",
                          help='stream: one JSON object per input line ({"text": …, "channel": …}) → one per output line')
        parser.add_argument("--workers", type=int, default=0,
                            help="--jsonl from a pipe: processes assessing in parallel, answers kept in input order "
                                 "(default: one per CPU; a terminal is always answered line by line)")

    def handle(self, *args, text, policy, json: bool, jsonl: bool, workers: int, **options):
        try:
            loaded = load_policy(policy)
        except PolicyError as exc:
            raise CommandError(str(exc)) from None
        if jsonl:
            if sys.stdin.isatty():
                self._stream(loaded)
            else:
                _stream_parallel(loaded, workers or os.cpu_count() or 1)
            return
        body = text if text is not None else sys.stdin.read()
        if not body.strip():
            raise CommandError("text: nothing to assess")
        result = assess(Facts(text=body.strip()), None, loaded)
        if json:
            self.stdout.write(_dumps(result.as_dict()))
            return
        self.stdout.write(f"{result.risk_level.value}  grade {result.severity_grade}  {result.priority.value}"
                          f"{'  EMERGENCY' if result.emergency else ''}  type {result.complaint_type}"
                          f"  ({result.policy_name} {result.policy_version})")
        for reason in result.reasons:
            self.stdout.write(f"  - {reason.factor}: {reason.detail} [{reason.rule}]")

    def _stream(self, policy) -> None:
        out = sys.stdout
        # A person typing sees each answer at once; a pipe is written in blocks (flushing every line
        # costs more than assessing it).
        interactive = sys.stdin.isatty()
        for number, line in enumerate(sys.stdin, start=1):
            line = line.strip()
            if not line:
                continue
            out.write(_answer(line, number, policy) + "\n")
            if interactive:
                out.flush()
        out.flush()


def _answer(line: str, number: int, policy) -> str:
    try:
        record = _loads(line)
        if not isinstance(record, dict):
            raise ValueError("expected a JSON object")
        result = assess(facts_from(record), None, policy).as_dict()
    except (ValueError, TypeError) as exc:
        result = {"error": {"line": number, "reason": str(exc)}}
    return _dumps(result)


_CHUNK = 500
_worker_policy = None


def _chunks() -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(sys.stdin, start=1):
        line = line.strip()
        if line:
            chunk.append((number, line))
            if len(chunk) == _CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _assess_chunk(chunk: list[tuple[int, str]]) -> str:
    return "".join(_answer(line, number, _worker_policy) + "\n" for number, line in chunk)


def _stream_parallel(policy, workers: int) -> None:
    """Chunks of lines assessed by `workers` forked processes; answers written in input order."""
    global _worker_policy
    _worker_policy = policy
    out = sys.stdout
    if workers <= 1:
        for chunk in _chunks():
            out.write(_assess_chunk(chunk))
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for answered in pool.imap(_assess_chunk, _chunks()):
                out.write(answered)
    out.flush()


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _loads(text: str):
    return json.loads(text)
