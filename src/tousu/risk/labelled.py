"""Labelled risk sets: a CSV with `text,risk[,emergency]`, or labels keyed by dataset row
(`row,risk,emergency,factors,evidence`) read together with the dataset's texts and, optionally, one side
of the split recorded beside the labels (`split.json`: the frozen test rows and the tuning rows)."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("high", "medium", "low")


class LabelError(ValueError):
    """A labelled set that cannot be read; the message names the file, the row and the column."""


@dataclass(frozen=True)
class Labelled:
    text: str
    risk: str
    emergency: bool | None
    row: int | None = None


def _rows(path: Path) -> list[dict]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise LabelError(f"{path}: cannot read ({exc.strerror})") from None


def read_labelled(path: Path, *, texts: Path | None = None, split: str = "all") -> list[Labelled]:
    rows = _rows(path)
    if not rows:
        return []
    columns = set(rows[0])
    if "risk" not in columns or not ({"text", "row"} & columns):
        raise LabelError(f"{path.name}: needs the columns text (or row) and risk, and optionally emergency")
    by_row: list[str] | None = None
    if "text" not in columns:
        if texts is None:
            raise LabelError(f"{path.name}: labels keyed by row need --texts, the dataset they label")
        by_row = [r.get("text") or "" for r in _rows(texts)]
    wanted: set[int] | None = None
    if split != "all":
        split_file = path.with_name("split.json")
        try:
            sides = json.loads(split_file.read_text(encoding="utf-8"))
        except OSError:
            raise LabelError(f"--split: {split_file} does not exist") from None
        if split not in sides:
            raise LabelError(f"--split: {split_file.name} has no side {split!r}")
        wanted = set(sides[split])
    found = []
    for number, row in enumerate(rows, start=2):
        level = (row["risk"] or "").strip().lower()
        if level not in LEVELS:
            raise LabelError(f"{path.name}: row {number}, column risk: {row['risk']!r} is not high/medium/low")
        emergency = None
        if "emergency" in columns:
            emergency = (row["emergency"] or "").strip().lower() in ("yes", "true", "1")
        index = None
        if by_row is not None:
            try:
                index = int(row["row"])
                text = by_row[index]
            except (ValueError, IndexError):
                raise LabelError(f"{path.name}: row {number}, column row: {row['row']!r} is not a row of "
                                 f"{texts.name if texts else 'the dataset'}") from None
            if wanted is not None and index not in wanted:
                continue
        else:
            text = row["text"] or ""
        found.append(Labelled(text, level, emergency, index))
    return found
