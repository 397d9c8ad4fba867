"""Similar-case quality (R-RP-3): same-type precision@5 of the case library's ranking (character 1–3-gram
TF-IDF, cosine) on zh-heimao-finance dev, with train as the library, next to drawing 5 library cases at
random, in the same run.

    .venv/bin/python bench/case_library.py [--dataset ../shared/datasets/zh-heimao-finance] [-k 5]
"""

import argparse
import csv
import time
from pathlib import Path

from tousu.risk.similar import precision_at_k, random_precision_at_k


def rows(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [(row["text"], row["label"]) for row in csv.DictReader(f)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=Path("/work/shared/datasets/zh-heimao-finance"))
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    library, queries = rows(args.dataset / "train.csv"), rows(args.dataset / "dev.csv")
    started = time.perf_counter()
    tfidf = precision_at_k(library, queries, k=args.k)
    seconds = time.perf_counter() - started
    chance = random_precision_at_k(library, queries, k=args.k)
    print(f"library {len(library)} train cases, {len(queries)} dev queries, k={args.k}")
    print(f"TF-IDF char 1-3 precision@{args.k}: {tfidf:.3f}  ({seconds:.1f} s, {len(queries) / seconds:.0f} queries/s)")
    print(f"random draw precision@{args.k}:     {chance:.3f}")


if __name__ == "__main__":
    main()
