"""A third draw of zh-heimao-finance train.csv rows to label for risk (2026-12-03, second session): more
rows to tune and train the high-risk model on. Every new row joins `tune`; the frozen test split of the
first draw stays as it was, so the frozen figures remain comparable and unread.

Run once; its output (parts/rows-9.txt … rows-12.txt and the extended `tune` in split.json) is committed.
"""

import csv
import json
import random
from pathlib import Path

from select_rows import TRAIN

THIRD_SEED = 20261204  # which further rows get labelled
THIRD = 1200
PARTS = 4              # one file of rows per labeller: parts/rows-9.txt … rows-12.txt
FIRST_PART = 9

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    split_file = here / "split.json"
    split = json.loads(split_file.read_text(encoding="utf-8"))
    with TRAIN.open(encoding="utf-8") as f:
        count = sum(1 for _ in csv.DictReader(f))
    taken = set(split["frozen"]) | set(split["tune"])
    assert len(taken) == 2800, "run once, after the second draw"
    fresh = sorted(random.Random(THIRD_SEED).sample(sorted(set(range(count)) - taken), THIRD))
    size = -(-THIRD // PARTS)
    for k in range(PARTS):
        part = fresh[k * size:(k + 1) * size]
        (here / "parts" / f"rows-{FIRST_PART + k}.txt").write_text("".join(f"{r}\n" for r in part))
    split["third_seed"] = THIRD_SEED
    split["tune"] = sorted(set(split["tune"]) | set(fresh))
    split_file.write_text(json.dumps(split, indent=0))
    print(f"{len(fresh)} more rows into tune ({len(split['tune'])} tune, {len(split['frozen'])} frozen)")
