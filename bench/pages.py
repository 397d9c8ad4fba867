"""The complaint list and the emergencies page on a large SQLite table, through Django's request path.

N complaints (real texts from ../shared/datasets/zh-heimao-finance, spread over a year) are written into a
fresh SQLite file with Tousu's schema (its search index kept by the triggers, as in production). Then:
- the list filtered by level + status + one month with a Chinese search term, requested as a signed-in
  specialist who sees every department (server time of the whole request: middleware, the view, the
  template), p50 / p95 over repeated requests, next to the bare SQL of the same filter (a COUNT and the
  first page) measured in the same run;
- the emergencies page with P plans.

    .venv/bin/python bench/pages.py [--complaints 1000000] [--plans 10000] [--requests 30]

Targets (issue 10): list p95 under 300 ms and within 5× the bare query; emergencies under 300 ms.
"""

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--data", help="a data directory this bench filled before: measure again without refilling")
    args = parser.parse_args()
    workdir = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="tousu-bench-pages-"))
    os.environ["TOUSU_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from tousu.accounts.models import Department, User
    from tousu.complaints.models import Complaint
    from tousu.core.bulk import insert_rows
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
    year_ago = now - timedelta(days=365)
    columns = ("tracking_number", "received_at", "channel", "text", "customer_name", "phone", "email",
               "customer_level", "company", "demand", "product", "order_no", "lot", "region", "risk_level",
               "assessed_level", "severity_grade", "priority", "emergency", "complaint_type", "defect_grade",
               "problem_key", "possible_high_risk", "status", "source", "owner", "first_owner", "department",
               "created_at", "updated_at", "import_key")
    levels = ("high", "medium", "medium", "low")
    statuses = ("received", "acknowledged", "investigating", "closed", "closed", "archived")
    started = time.perf_counter()

    def rows(start: int, count: int):
        for i in range(start, start + count):
            level = rng.choice(levels)
            received = year_ago + timedelta(seconds=rng.randint(0, 365 * 86400))
            yield (f"TS{received:%y%m}-{_code(i)}", received, "web", pool[i % len(pool)], "", "", "", "regular", "",
                   "", f"产品{i % 500}", "", "", "", level, level, {"high": 1, "medium": 2, "low": 3}[level],
                   "normal", False, "billing", "", "", False, rng.choice(statuses), "import", owner.pk, owner.pk,
                   department.pk, now, now, f"bench-{i}")

    # Every other NOT NULL column takes the model's default, so the schema can grow without breaking this.
    template = Complaint()
    rest = [f.name for f in Complaint._meta.concrete_fields
            if not f.null and not f.primary_key and f.name not in columns]
    rest_values = tuple(getattr(template, Complaint._meta.get_field(name).attname) for name in rest)
    batch = 20_000
    for start in range(0, args.complaints if refill else 0, batch):
        insert_rows(Complaint, (*columns, *rest), (row + rest_values for row in rows(start, min(batch, args.complaints - start))))
    fill_seconds = time.perf_counter() - started
    args.complaints = Complaint.objects.count()
    plans = [EmergencyPlan(title=f"应急预案 {i}", state=rng.choice(("proposed", "active", "closed", "declined")),
                           proposed_at=now - timedelta(minutes=i), golden_due_at=now - timedelta(minutes=i) + timedelta(hours=2))
             for i in range(args.plans)]
    if refill:
        EmergencyPlan.objects.bulk_create(plans, batch_size=2000)
    args.plans = EmergencyPlan.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

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
    list_ms = timed(lambda: client.get("/complaints/", query), args.requests)

    tz = timezone.get_current_timezone()
    begin = datetime.combine(first, datetime.min.time(), tz)
    end = datetime.combine(last, datetime.min.time(), tz) + timedelta(days=1)
    bare_sql = ("FROM complaints_complaint WHERE risk_level = %s AND status = %s AND received_at >= %s "
                "AND received_at < %s AND id IN (SELECT rowid FROM complaint_search WHERE complaint_search MATCH %s)")
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
