"""Write the 300 type labels (types-300.csv: source,row,type) with their texts as a `text,label` CSV for
`tousu evaluate type CSV` (the policy's type rules) — the texts stay in ../shared, this joins them on use.

    python3 labels/type_texts.py /tmp/types-300.csv && .venv/bin/tousu evaluate type /tmp/types-300.csv
"""

import csv
import sys
from pathlib import Path

import openpyxl

SHARED = Path(__file__).resolve().parents[2] / "shared/datasets"

if __name__ == "__main__":
    with (SHARED / "zh-heimao-finance/dev.csv").open(encoding="utf-8") as f:
        heimao = [r["text"] for r in csv.DictReader(f)]
    sheet = openpyxl.load_workbook(SHARED / "zh-12345-petitions/messages-labelled.xlsx", read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    column = header.index("留言详情")
    petitions = [str(r[column]) for r in rows if r and r[column]]
    with open(Path(__file__).with_name("types-300.csv"), encoding="utf-8") as f, \
            open(sys.argv[1], "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for record in csv.DictReader(f):
            pool = heimao if record["source"] == "heimao-dev" else petitions
            writer.writerow([pool[int(record["row"])].strip(), record["type"]])
