"""Which zh-heimao-finance train.csv rows were labelled for risk, and which of them form the frozen test split.

Run once (2026-12-01); its output is committed. Both draws are random with the seeds below, so anyone can
check them. The frozen split is never read while rules or features are changed: tune on `tune` only.
"""

import csv
import json
import random
from pathlib import Path

TRAIN = Path(__file__).resolve().parents[2] / "shared/datasets/zh-heimao-finance/train.csv"
SELECTION_SEED = 20261201   # which rows get labelled
FROZEN_SEED = 9011          # which labelled rows are the frozen test split
LABELLED = 1600
FROZEN = 560

if __name__ == "__main__":
    with TRAIN.open(encoding="utf-8") as f:
        count = sum(1 for _ in csv.DictReader(f))
    rows = sorted(random.Random(SELECTION_SEED).sample(range(count), LABELLED))
    frozen = sorted(random.Random(FROZEN_SEED).sample(rows, FROZEN))
    tune = sorted(set(rows) - set(frozen))
    out = Path(__file__).with_name("split.json")
    out.write_text(json.dumps({"dataset": "zh-heimao-finance/train.csv", "selection_seed": SELECTION_SEED,
                               "frozen_seed": FROZEN_SEED, "frozen": frozen, "tune": tune}, indent=0))
    print(f"{len(rows)} rows: {len(frozen)} frozen, {len(tune)} tune -> {out}")
