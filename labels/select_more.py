"""A second draw of zh-heimao-finance train.csv rows to label for risk (2026-12-03): more rows to tune
and train on. Every new row joins `tune`; the frozen test split of the first draw stays as it was, so the
frozen figures remain comparable and unread.

Run once; its output (parts/rows-6.txt … rows-8.txt and the extended `tune` in split.json) is committed.
"""

import csv
import json
import random
from pathlib import Path

from select_rows import TRAIN

MORE_SEED = 20261203   # which further rows get labelled
MORE = 1200
PARTS = 3              # one file of rows per labeller: parts/rows-6.txt, rows-7.txt, rows-8.txt
FIRST_PART = 6


def draw_into_tune(*, seed: int, rows: int, parts: int, first_part: int, labelled_before: int,
                   seed_key: str) -> None:
    """Draw `rows` unlabelled rows at random with `seed`, write them as `parts` files of rows to label
    (parts/rows-<first_part>.txt …) and add them to `tune` in split.json, with the seed under `seed_key`.
    Refuses to run on a split that does not hold exactly `labelled_before` rows (each draw runs once)."""
    here = Path(__file__).resolve().parent
    split_file = here / "split.json"
    split = json.loads(split_file.read_text(encoding="utf-8"))
    with TRAIN.open(encoding="utf-8") as f:
        count = sum(1 for _ in csv.DictReader(f))
    taken = set(split["frozen"]) | set(split["tune"])
    assert len(taken) == labelled_before, f"run once, on a split of {labelled_before} rows"
    fresh = sorted(random.Random(seed).sample(sorted(set(range(count)) - taken), rows))
    size = -(-rows // parts)
    for k in range(parts):
        part = fresh[k * size:(k + 1) * size]
        (here / "parts" / f"rows-{first_part + k}.txt").write_text("".join(f"{r}\n" for r in part))
    split[seed_key] = seed
    split["tune"] = sorted(set(split["tune"]) | set(fresh))
    split_file.write_text(json.dumps(split, indent=0))
    print(f"{len(fresh)} more rows into tune ({len(split['tune'])} tune, {len(split['frozen'])} frozen)")


if __name__ == "__main__":
    draw_into_tune(seed=MORE_SEED, rows=MORE, parts=PARTS, first_part=FIRST_PART, labelled_before=1600,
                   seed_key="more_seed")
