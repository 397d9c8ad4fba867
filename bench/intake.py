"""Intake throughput: import N generated complaints from a CSV through Tousu's import path, next to a raw
`executemany` insert of the same rows into a bare SQLite table measured in the same run.

    .venv/bin/python bench/intake.py [--rows 100000] [--single 200] [--postgres URL]
    BENCH_TRACE_MEMORY=1 .venv/bin/python bench/intake.py --rows 20000   # also the import's peak memory

Prints both rates and their ratio (target: intake ≥ 1/10 of the raw rate), and the rate of storage alone: the
same rows the import wrote (complaint, history event, assessment, three stage clocks, emergency plans), already
converted, inserted into an empty copy of Tousu's schema. That is the ceiling for any import path. Then the
time of single intakes (the API path) into the filled table, next to one-row raw INSERT + COMMITs.
"""

import argparse
import cProfile
import csv
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from throwaway_postgres import drop_database, fresh_database

PRODUCTS = ["PD-610 铝合金脚踏", "白金信用卡", "家庭宽带", "国内航班", "电热水壶 KT-17", "婴儿奶粉", "智能手表"]
CHANNELS = ["phone", "web", "email", "wechat", "social", "regulator", "onsite", "电话", "微博"]
PHRASES = [
    "收到的货物有质量问题，{n} 件无法使用，要求换货。", "信用卡被多扣了 {n} 元年费，业务员说免年费，要求退还。",
    "宽带这周断了 {n} 次，报修没人上门，严重影响在家办公。", "航班延误 {n} 小时没有任何通知，错过转机，要求赔偿。",
    "热水壶用了 {n} 天底座冒烟，差点起火，要求退款并赔偿。", "快递显示签收但没收到，已经等了 {n} 天，客服一直推脱。",
    "催收每天打 {n} 个电话给我家人和同事，严重影响生活，我要向监管投诉。",
]


def generate(path: Path, rows: int, now: datetime) -> list[tuple]:
    """Complaints of the last 60 days (so the repetition and scope windows hold many of them), about a
    third of them from customers who complained before."""
    rng = random.Random(2026)
    customers = max(1, rows * 2 // 3)
    records = []
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "投诉内容", "渠道", "投诉时间", "客户姓名", "联系电话", "产品", "批次", "金额", "地区"])
        for i in range(rows):
            text = rng.choice(PHRASES).format(n=rng.randint(1, 30)) + f"（工单 {i}）"
            received = now - timedelta(minutes=rng.randint(10, 60 * 24 * 60))
            customer = rng.randrange(customers)
            record = (f"B{i:07d}", text, rng.choice(CHANNELS), received.strftime("%Y-%m-%d %H:%M"), f"客户{customer}",
                      f"13{900000000 + customer:09d}", rng.choice(PRODUCTS), f"L26{rng.randint(1, 12):02d}-{rng.randint(1, 40):02d}",
                      str(rng.randint(0, 20000)), rng.choice(["上海", "北京", "广东深圳", "浙江杭州", "四川成都"]))
            writer.writerow(record)
            records.append(record)
    return records


def single_intakes(records: list[tuple], count: int) -> list[float]:
    """Seconds per `record_complaint` (one complaint, as the API and the pages store it, committed) from
    customers and about lots already in the table, so every history lookup has rows to find."""
    from django.utils import timezone

    from tousu.complaints.choices import Source
    from tousu.complaints.validation import validate_intake
    from tousu.intake.pipeline import record_complaint

    rng = random.Random(7)
    seconds = []
    for _ in range(count):
        _id, text, _channel, _at, name, phone, product, lot, amount, region = rng.choice(records)
        now = timezone.now()
        data = validate_intake({"text": text, "channel": "phone", "customer_name": name, "phone": phone,
                                "product": product, "lot": lot, "amount": amount, "region": region}, now=now)
        started = time.perf_counter()
        record_complaint(data, by=None, source=Source.API, now=now)
        seconds.append(time.perf_counter() - started)
    return seconds


def raw_single_inserts(db: Path, records: list[tuple], count: int) -> list[float]:
    """Seconds per one-row INSERT and COMMIT into the bare table, with Tousu's durability (synchronous=FULL)."""
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA synchronous=FULL")
    seconds = []
    for record in records[:count]:
        started = time.perf_counter()
        with connection:
            connection.execute("INSERT INTO complaint VALUES (?,?,?,?,?,?,?,?,?,?)", record)
        seconds.append(time.perf_counter() - started)
    connection.close()
    return seconds


def raw_insert(db: Path, records: list[tuple]) -> float:
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE complaint (external_id TEXT, text TEXT, channel TEXT, received_at TEXT, "
                       "customer_name TEXT, phone TEXT, product TEXT, lot TEXT, amount TEXT, region TEXT)")
    started = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO complaint VALUES (?,?,?,?,?,?,?,?,?,?)", records)
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


# What an import writes besides the complaint rows: history, assessment, stage clocks, emergency plans.
_WRITTEN_TABLES = ("complaints_complaint", "complaints_complaintevent", "assessments_riskassessment",
                   "workflow_deadline", "workflow_emergencyplan", "workflow_emergencyplan_complaints",
                   "workflow_emergencylog")


def storage_floor(tousu_db: Path, floor_db: Path) -> tuple[float, int]:
    """Time to insert the very rows the import wrote, already in their stored form, into an empty copy of
    Tousu's schema (its indexes, WAL, synchronous=FULL, 64 MiB page cache): the cost of storage alone, no Python work."""
    source = sqlite3.connect(tousu_db)
    target = sqlite3.connect(floor_db)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=FULL")
    target.execute("PRAGMA cache_size=-65536")  # as Tousu's own connections (settings)
    schema = source.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                            "AND name NOT LIKE 'sqlite_%'").fetchall()
    # Full-text tables make their own shadow tables (name_data, name_idx …) when they are created. Only
    # tables are skipped by that prefix: the search index's triggers (complaint_search_insert …) share it,
    # and an insert without them would skip the full-text index, most of storage's cost.
    virtual = [name for _type, name, sql in schema if sql.upper().startswith("CREATE VIRTUAL TABLE")]
    shadow = {name for kind, name, _sql in schema if kind == "table" and any(name.startswith(f"{v}_") for v in virtual)}
    order = {"table": 0, "index": 1, "trigger": 2, "view": 3}  # tables first, then what refers to them
    for _type, _name, sql in sorted((row for row in schema if row[1] not in shadow),
                                    key=lambda row: order.get(row[0], 4)):
        target.execute(sql)
    copied = {name for (name,) in target.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert copied == {name for kind, name, _sql in schema if kind == "trigger"}, copied
    tables = {name: source.execute(f'SELECT * FROM "{name}"').fetchall() for name in _WRITTEN_TABLES}
    source.close()
    os.sync()  # the import's writes are on disk before the clock starts, as the import's were before it
    started = time.perf_counter()
    with target:
        for name, rows in tables.items():
            if rows:
                target.executemany(f'INSERT INTO "{name}" VALUES ({", ".join("?" * len(rows[0]))})', rows)
    elapsed = time.perf_counter() - started
    target.close()
    return elapsed, sum(len(rows) for rows in tables.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=200, help="single intakes timed after the import")
    parser.add_argument("--postgres", metavar="URL", help="import into a fresh database on this PostgreSQL server "
                        "(e.g. postgres://postgres@127.0.0.1:5432/test); the raw baseline stays SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (removed by default)")
    parser.add_argument("--profile", metavar="FILE", help="write the import's cProfile statistics to FILE "
                        "(read them with `python -m pstats FILE`)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tousu-bench-"))
    os.environ["TOUSU_DATA_DIR"] = str(workdir / "data")
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        os.environ["DATABASE_URL"] = fresh_database(args.postgres, "tousu_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from tousu.complaints.models import Complaint
    from tousu.intake.imports import import_file

    call_command("migrate", verbosity=0)
    # A fresh database has no policy in force: the first intake stores and parses the shipped one (about
    # 1.5 s, once per database and process). Done here, as `tousu demo` or any earlier intake would have.
    from tousu.assessments.policies import active_policy

    active_policy()
    source = workdir / "complaints.csv"
    records = generate(source, args.rows, datetime.now(ZoneInfo("Asia/Shanghai")))

    raw_seconds = raw_insert(workdir / "raw.sqlite3", records)
    trace_memory = bool(os.environ.get("BENCH_TRACE_MEMORY"))  # tracing slows the import several times
    if trace_memory:
        tracemalloc.start()
    profiler = cProfile.Profile() if args.profile else None
    os.sync()  # nothing written before (the CSV, the raw table) is still going to disk during the import
    started = time.perf_counter()
    with source.open("rb") as stream:
        if profiler:
            profiler.enable()
        report = import_file(stream, source.name, by=None, now=timezone.now())
        if profiler:
            profiler.disable()
    intake_seconds = time.perf_counter() - started
    if profiler:
        profiler.dump_stats(args.profile)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert report.created == args.rows == Complaint.objects.count(), (report.created, report.errors[:3])

    started = time.perf_counter()
    with source.open("rb") as stream:
        again = import_file(stream, source.name, by=None, now=timezone.now())
    reimport_seconds = time.perf_counter() - started
    assert again.created == 0 and again.duplicates == args.rows

    from django.conf import settings
    from django.db import connection

    raw_rate, intake_rate = args.rows / raw_seconds, args.rows / intake_seconds
    if connection.vendor == "sqlite":
        floor_seconds, floor_rows = storage_floor(Path(settings.DATABASES["default"]["NAME"]),
                                                  workdir / "floor.sqlite3")
        floor_rate = args.rows / floor_seconds
    single = sorted(single_intakes(records, args.single))  # after the floor: it copies only the import's rows
    raw_single = sorted(raw_single_inserts(workdir / "raw.sqlite3", records, args.single))
    print(f"rows                      {args.rows}")
    print(f"raw executemany (SQLite)  {raw_rate:12,.0f} rows/s  ({raw_seconds:.2f} s)")
    database = "SQLite" if connection.vendor == "sqlite" else "PostgreSQL"
    label = f"tousu import ({database})"
    print(f"{label:<26}{intake_rate:12,.0f} complaints/s  ({intake_seconds:.2f} s)")
    print(f"ratio intake/raw          {intake_rate / raw_rate:12.3f}  (target ≥ 0.100)")
    if connection.vendor == "sqlite":
        print(f"storage alone             {floor_rate:12,.0f} complaints/s  ({floor_seconds:.2f} s: the same "
              f"{floor_rows:,} rows into Tousu's schema, no Python work)")
        print(f"ratio storage alone/raw   {floor_rate / raw_rate:12.3f}  (the most any import could reach)")
        print(f"ratio import/storage alone{intake_rate / floor_rate:12.3f}  (issue 11's target ≥ 0.4)")
    print(f"one complaint (API path)  {_ms(single, 0.5):9.1f} ms median, {_ms(single, 0.95):.1f} ms p95 over "
          f"{len(single)}, into a table of {args.rows:,}")
    print(f"raw one-row INSERT+COMMIT {_ms(raw_single, 0.5):9.1f} ms median, {_ms(raw_single, 0.95):.1f} ms p95")
    print(f"re-import (all duplicates){args.rows / reimport_seconds:12,.0f} rows/s  ({reimport_seconds:.2f} s)")
    if trace_memory:
        print(f"peak traced memory        {peak / 1e6:12.1f} MB")
    if args.postgres:
        connection.close()
        drop_database(args.postgres, os.environ["DATABASE_URL"])
    if args.keep:
        print(f"data kept in {workdir}")
    else:
        shutil.rmtree(workdir)
    sys.exit(0)


def _ms(sorted_seconds: list[float], quantile: float) -> float:
    return sorted_seconds[min(len(sorted_seconds) - 1, int(len(sorted_seconds) * quantile))] * 1000


if __name__ == "__main__":
    main()
