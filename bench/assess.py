"""Assessment throughput on real complaint texts: `assess()` with the default policy over N texts from
../shared/datasets/zh-heimao-finance, and the path a user runs, `tousu assess --jsonl` streaming the same
texts (its start-up, timed on one line, subtracted), next to a raw pyahocorasick scan of the same texts with
the same keyword lists in the same run.

    .venv/bin/python bench/assess.py [--texts 100000]
"""

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import ahocorasick

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from tousu.risk import Facts, assess, engine_for, load_policy  # noqa: E402

DATASET = ROOT.parent / "shared" / "datasets" / "zh-heimao-finance"


def texts(count: int) -> list[str]:
    pool = []
    for name in ("train.csv", "dev.csv"):
        with (DATASET / name).open(encoding="utf-8") as handle:
            pool += [row["text"] for row in csv.DictReader(handle)]
    return [pool[i % len(pool)] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=100_000)
    args = parser.parse_args()
    policy = load_policy("default")
    engine_for(policy)
    corpus = texts(args.texts)
    words = {w for f in policy.factors.values() for r in f.rules for w in r.words}
    words |= {w for t in policy.types for w in t.words} | set(policy.language.enquiry_words)
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()

    started = time.perf_counter()
    hits = 0
    for text in corpus:
        for _ in automaton.iter(text):
            hits += 1
    raw_seconds = time.perf_counter() - started

    started = time.perf_counter()
    high = 0
    for text in corpus:
        high += assess(Facts(text=text), None, policy).risk_level == "high"
    assess_seconds = time.perf_counter() - started

    tousu = [sys.executable, "-m", "tousu.cli", "assess", "--jsonl"]
    started = time.perf_counter()
    subprocess.run(tousu, input='{"text": "扣款不对"}\n', capture_output=True, text=True, check=True)
    startup_seconds = time.perf_counter() - started
    stream = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in corpus)
    started = time.perf_counter()
    done = subprocess.run(tousu, input=stream, capture_output=True, text=True, check=True)
    stream_seconds = time.perf_counter() - started - startup_seconds
    answered = done.stdout.count("\n")

    chars = sum(map(len, corpus)) / len(corpus)
    raw_rate, rate = args.texts / raw_seconds, args.texts / assess_seconds
    print(f"texts                   {args.texts}  (mean {chars:.0f} characters, {len(words)} keywords)")
    print(f"raw pyahocorasick scan  {raw_rate:12,.0f} texts/s  ({raw_seconds:.2f} s, {hits} hits)")
    print(f"assess()                {rate:12,.0f} texts/s  ({assess_seconds:.2f} s, {high} high)")
    stream_rate = answered / stream_seconds
    print(f"tousu assess --jsonl    {stream_rate:12,.0f} texts/s  ({stream_seconds:.2f} s after {startup_seconds:.2f} s "
          f"start-up, {answered} lines)")
    print(f"ratio assess/raw        {rate / raw_rate:12.3f}")
    print(f"ratio stream/raw        {stream_rate / raw_rate:12.3f}  (target ≥ 0.100)")


if __name__ == "__main__":
    main()
