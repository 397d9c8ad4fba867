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

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    split_file = here / "split.json"
    split = json.loads(split_file.read_text(encoding="utf-8"))
    with TRAIN.open(encoding="utf-8") as f:
        count = sum(1 for _ in csv.DictReader(f))
    taken = set(split["frozen"]) | set(split["tune"])
    assert len(taken) == 1600, "run once, on the first draw's split"
    fresh = sorted(random.Random(MORE_SEED).sample(sorted(set(range(count)) - taken), MORE))
    size = -(-MORE // PARTS)
    for k in range(PARTS):
        part = fresh[k * size:(k + 1) * size]
        (here / "parts" / f"rows-{FIRST_PART + k}.txt").write_text("".join(f"{r}\n" for r in part))
    split["more_seed"] = MORE_SEED
    split["tune"] = sorted(set(split["tune"]) | set(fresh))
    split_file.write_text(json.dumps(split, indent=0))
    print(f"{len(fresh)} more rows into tune ({len(split['tune'])} tune, {len(split['frozen'])} frozen)")
