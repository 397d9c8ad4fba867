"""Join the labelling parts (parts/part-N.csv, one per labeller) into heimao-train-risk.csv, sorted by row,
checking each row is labelled once and every evidence span lies inside its text."""

import csv
from pathlib import Path

from select_rows import TRAIN

HERE = Path(__file__).resolve().parent
FIELDS = ["row", "risk", "emergency", "factors", "evidence"]

if __name__ == "__main__":
    with TRAIN.open(encoding="utf-8") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    rows: dict[int, dict] = {}
    for part in sorted((HERE / "parts").glob("part-*.csv")):
        with part.open(encoding="utf-8") as f:
            for record in csv.DictReader(f):
                row = int(record["row"])
                assert row not in rows, f"row {row} labelled twice ({part.name})"
                for span in filter(None, (record["evidence"] or "").split(";")):
                    start, end = map(int, span.split("-"))
                    assert 0 <= start < end <= len(texts[row]), f"row {row}: span {span} outside the text"
                rows[row] = {k: record[k] for k in FIELDS}
    with (HERE / "heimao-train-risk.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows[r] for r in sorted(rows))
    print(f"{len(rows)} labelled rows")
