"""The complaint list and the emergencies page on a large SQLite table, through Django's request path.

N complaints (real texts from ../shared/datasets/zh-heimao-finance, spread over a year; each open one with its
running clock) are written into a fresh SQLite file with Tousu's schema by plain sqlite3 executemany, the
complaint table's indexes and search triggers set aside and built once at the end (the FTS5 index by one
'rebuild'; the triggers then keep it as in production): 1,000,000 in about 3 minutes. Then:
- the list filtered by level + status + one month with a Chinese search term, requested as a signed-in
  quality user who sees every department (server time of the whole request: middleware, the view, the
  template), p50 / p95 over repeated requests, next to the bare SQL of the same filter (a COUNT and the
  first page, the search written as the list writes it) measured in the same run;
- the emergencies page with P plans.

    .venv/bin/python bench/pages.py [--complaints 1000000] [--plans 10000] [--requests 30] [--data DIR]

--data DIR measures again a directory an earlier run filled (its path is printed first).

Targets (issue 10): list p95 under 300 ms and within 5× the bare query; emergencies under 300 ms.
"""

import argparse
import csv
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATASET = ROOT.parent / "shared" / "datasets" / "zh-heimao-finance"


def texts() -> list[str]:
    pool = []
    for name in ("train.csv", "dev.csv"):
        with (DATASET / name).open(encoding="utf-8") as handle:
            pool += [row["text"] for row in csv.DictReader(handle)]
    return pool


_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no look-alikes, as real tracking numbers


def _code(number: int) -> str:
    digits = []
    for _ in range(5):
        number, digit = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def timed(work, times: int) -> list[float]:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def p(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _stored(moment: datetime) -> str:
    """A date-time as Django's SQLite backend stores it: naive UTC text."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def fill(path: Path, *, complaints: int, plans: int, pool: list[str], rng: random.Random, now: datetime, owner: int,
         department: int) -> None:
    """Write the complaints (each open one with its running solution clock) and the plans straight into
    Tousu's schema with plain sqlite3 `executemany`: the complaint table's indexes and search triggers are
    set aside during the fill and built once at the end, the FTS index by one 'rebuild'. Filling through
    the ORM's bulk path (and the triggers row by row) took ~12 min for 100,000."""
    from tousu.complaints.models import Complaint
    from tousu.workflow.models import Deadline, EmergencyPlan

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-524288")
    db.execute("PRAGMA temp_store=MEMORY")
    table = Complaint._meta.db_table
    set_aside = db.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', "
                           "'trigger') AND sql IS NOT NULL", (table,)).fetchall()
    for kind, name, _sql in set_aside:
        db.execute(f'DROP {kind.upper()} "{name}"')

    given = {"tracking_number", "received_at", "channel", "text", "customer_level", "product", "risk_level",
             "assessed_level", "severity_grade", "priority", "emergency", "complaint_type", "possible_high_risk",
             "status", "source", "owner", "first_owner", "department", "created_at", "updated_at", "import_key"}
    template = Complaint()
    fields = [f for f in Complaint._meta.concrete_fields if not f.primary_key]
    # Every other column takes the model's default (NULL where it may), so the schema can grow without
    # breaking this.
    defaults = {}
    for f in fields:
        if f.name in given:
            continue
        value = getattr(template, f.attname)
        defaults[f.name] = (json.dumps(value) if isinstance(value, dict | list) else
                            int(value) if isinstance(value, bool) else str(value) if isinstance(value, Decimal)
                            else value)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    insert = f'INSERT INTO "{table}" (id, {columns}) VALUES ({", ".join("?" * (len(fields) + 1))})'
    stored_now = _stored(now)
    year_ago = now - timedelta(days=365)
    levels = ("high", "medium", "medium", "low")
    statuses = ("received", "acknowledged", "investigating", "closed", "closed", "archived")
    grades = {"high": 1, "medium": 2, "low": 3}
    clock_rows: list[tuple] = []
    clock_columns = ("complaint_id", "stage", "duration", "started_at", "due_at", "warn_at", "next_escalation_at",
                     "paused_seconds", "excluded_seconds", "escalation_level", "extension_reason", "sweep_token",
                     "source", "pause_kind", "outcome", "second_extension_reason")
    clock_insert = (f'INSERT INTO "{Deadline._meta.db_table}" ({", ".join(clock_columns)}) '
                    f'VALUES ({", ".join("?" * len(clock_columns))})')

    def rows(first: int, count: int):
        for i in range(first, first + count):
            level = levels[rng.randrange(4)]
            status = statuses[rng.randrange(6)]
            received = year_ago + timedelta(seconds=rng.randrange(365 * 86400))
            stored = _stored(received)
            values = {"tracking_number": f"TS{received:%y%m}-{_code(i)}", "received_at": stored, "channel": "web",
                      "text": pool[i % len(pool)], "customer_level": "regular", "product": f"产品{i % 500}",
                      "risk_level": level, "assessed_level": level, "severity_grade": grades[level],
                      "priority": "normal", "emergency": 0, "complaint_type": "billing", "possible_high_risk": 0,
                      "status": status, "source": "import", "owner": owner, "first_owner": owner,
                      "department": department, "created_at": stored_now, "updated_at": stored_now,
                      "import_key": f"bench-{i}", **defaults}
            if status not in ("closed", "archived"):
                due = _stored(received + timedelta(days=5))
                clock_rows.append((i + 1, "solution", '{"working_days": 5}', stored, due, due, due, 0.0, 0.0, 0, "",
                                   "", "", "", "", ""))
            yield (i + 1, *(values[f.name] for f in fields))

    batch = 50_000
    for first in range(0, complaints, batch):
        db.execute("BEGIN")
        db.executemany(insert, rows(first, min(batch, complaints - first)))
        db.executemany(clock_insert, clock_rows)
        clock_rows.clear()
        db.execute("COMMIT")
    step = time.perf_counter()
    for kind, _name, sql in set_aside:
        if kind == "index":
            db.execute(sql)
    indexed = time.perf_counter()
    db.execute("INSERT INTO complaint_search(complaint_search) VALUES ('rebuild')")
    searched = time.perf_counter()
    for kind, _name, sql in set_aside:
        if kind == "trigger":
            db.execute(sql)
    plan_table = EmergencyPlan._meta.db_table
    link_table = EmergencyPlan.complaints.through._meta.db_table
    db.execute("BEGIN")
    db.executemany(f'INSERT INTO "{plan_table}" (id, title, state, proposed_at, golden_due_at, closing_review) '
                   "VALUES (?, ?, ?, ?, ?, '')",
                   ((i + 1, f"应急预案 {i}", ("proposed", "active", "closed", "declined")[rng.randrange(4)],
                     _stored(now - timedelta(minutes=i)), _stored(now - timedelta(minutes=i) + timedelta(hours=2)))
                    for i in range(plans)))
    db.executemany(f'INSERT INTO "{link_table}" (emergencyplan_id, complaint_id) VALUES (?, ?)',
                   ((i + 1, rng.randrange(complaints) + 1) for i in range(plans)))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    print(f"fill: rows {step - FILL_STARTED[0]:.0f} s, indexes {indexed - step:.0f} s, search index "
          f"{searched - indexed:.0f} s", flush=True)


FILL_STARTED = [time.perf_counter()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--data", help="a data directory this bench filled before: measure again without refilling")
    args = parser.parse_args()
    workdir = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="tousu-bench-pages-"))
    os.environ["TOUSU_DATA_DIR"] = str(workdir)
    print(f"data directory            {workdir}", flush=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tousu.accounts.models import Department, User
    from tousu.complaints.models import Complaint
    from tousu.workflow.models import EmergencyPlan

    call_command("migrate", verbosity=0)
    refill = not User.objects.filter(username="quality").exists()
    if refill:
        department = Department.objects.create(code="kf", name="客服部")
        User.objects.create_user("quality", password="bench-pass", role="quality", email="q@example.com")
        owner = User.objects.create_user("agent", role="agent", department=department, email="a@example.com")
    viewer = User.objects.get(username="quality")

    pool = texts()
    rng = random.Random(2026)
    now = timezone.now()
    started = time.perf_counter()
    FILL_STARTED[0] = started
    if refill:
        connection.close()  # the fill writes through its own sqlite3 connection, the schema's indexes set aside
        fill(Path(settings.DATABASES["default"]["NAME"]), complaints=args.complaints, plans=args.plans, pool=pool,
             rng=rng, now=now, owner=owner.pk, department=department.pk)
    fill_seconds = time.perf_counter() - started
    args.complaints = Complaint.objects.count()
    args.plans = EmergencyPlan.objects.count()

    month = timezone.localtime(now - timedelta(days=40))
    first = month.replace(day=1).date()
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1).date() - timedelta(days=1)
    term = "信用卡"
    query = {"risk_level": "high", "status": "closed", "received_from": first.isoformat(),
             "received_to": last.isoformat(), "q": term, "sort": "newest"}
    client = Client()
    client.force_login(viewer)
    response = client.get("/complaints/", query)
    assert response.status_code == 200, response.status_code
    # The generated rows must make a real complaint page, or the figures measure a broken table.
    sample = Complaint.objects.order_by("-id").first()
    assert client.get(f"/complaints/{sample.tracking_number}/").status_code == 200
    list_ms = timed(lambda: client.get("/complaints/", query), args.requests)

    tz = timezone.get_current_timezone()
    begin = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(last, datetime.min.time(), tz) + timedelta(days=1)
    bare_sql = ("FROM complaints_complaint WHERE risk_level = %s AND status = %s AND received_at >= %s "
                "AND received_at < %s AND +id IN (SELECT rowid FROM complaint_search WHERE complaint_search MATCH %s)")
    params = ["high", "closed", begin, end, f'"{term}"']

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) {bare_sql}", params)
            cursor.fetchone()
            cursor.execute(f"SELECT * {bare_sql} ORDER BY received_at DESC LIMIT 50", params)
            cursor.fetchall()

    bare_ms = timed(bare, args.requests)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {bare_sql}", params)
        found = cursor.fetchone()[0]
    client.get("/emergencies/")
    emergencies_ms = timed(lambda: client.get("/emergencies/"), max(5, args.requests // 3))

    print(f"complaints                {args.complaints:,} (filled in {fill_seconds:.0f} s), plans {args.plans:,}")
    print(f"list: level+status+month+“{term}”  {found} found")
    print(f"  page (server)           p50 {statistics.median(list_ms):7.1f} ms   p95 {p(list_ms, .95):7.1f} ms")
    print(f"  bare SQL (count+page)   p50 {statistics.median(bare_ms):7.1f} ms   p95 {p(bare_ms, .95):7.1f} ms")
    print(f"  ratio page/bare (p95)   {p(list_ms, .95) / max(p(bare_ms, .95), 0.001):7.2f}   (targets: p95 < 300 ms, ratio ≤ 5)")
    print(f"emergencies page          p50 {statistics.median(emergencies_ms):7.1f} ms   p95 {p(emergencies_ms, .95):7.1f} ms"
          "   (target < 300 ms)")


if __name__ == "__main__":
    main()
