"""Deadline sweep over N open complaints (3 stage clocks each) on SQLite, next to a bare SQL count of the
overdue clocks in the same run.

Two sweeps are timed. The first meets the whole backlog (every clock already late is escalated once,
with its event, escalation row and notification). The second is what runs every minute in steady
state: one minute later, only the clocks that crossed a warning or escalation time since. The target
(under 10× the bare count) is for the steady-state sweep; the backlog figure is per escalation.

    .venv/bin/python bench/sweep.py [--complaints 100000]
"""

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tousu-bench-sweep-"))
    os.environ["TOUSU_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tousu.accounts.models import Department, User
    from tousu.complaints.models import Complaint
    from tousu.core.bulk import insert_rows
    from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS, intake_deadline_rows
    from tousu.workflow.actions.sweep import sweep
    from tousu.workflow.models import Deadline

    call_command("migrate", verbosity=0)
    department = Department.objects.create(code="kf", name="客服部")
    owner = User.objects.create_user("agent", role="agent", department=department, email="agent@example.com")
    manager = User.objects.create_user("manager", role="manager", department=department, email="m@example.com")
    department.manager = manager
    department.save()
    User.objects.create_user("leader", role="leader", email="leader@example.com")

    now = timezone.now()
    rng = random.Random(2026)
    started = time.perf_counter()
    batch = []
    for i in range(args.complaints):
        received = now - timedelta(minutes=rng.randint(0, 14 * 24 * 60))
        level = rng.choice(["low", "low", "low", "medium", "high"])
        batch.append(Complaint(tracking_number=f"TS2611-B{i:07d}", channel="phone", text=f"第{i}件投诉",
                               received_at=received, status="acknowledged", source="import", owner=owner,
                               first_owner=owner, department=department, risk_level=level, assessed_level=level,
                               created_at=now, updated_at=now))
        if len(batch) == 5000:
            Complaint.objects.bulk_create(batch)
            batch = []
    Complaint.objects.bulk_create(batch)
    clocks = Complaint.objects.values_list("id", "received_at", "risk_level", "emergency", "channel")
    insert_rows(Deadline, DEADLINE_COLUMNS, intake_deadline_rows(clocks.iterator()))
    setup = time.perf_counter() - started
    total_clocks = Deadline.objects.count()

    def bare_count(moment) -> tuple[int, float]:
        begin = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM workflow_deadline WHERE met_at IS NULL AND due_at < %s", [moment])
            count = cursor.fetchone()[0]
        return count, time.perf_counter() - begin

    overdue, _warm = bare_count(now)
    begin = time.perf_counter()
    backlog = sweep(now)
    backlog_seconds = time.perf_counter() - begin

    later = now + timedelta(minutes=1)
    counts = [bare_count(later)[1] for _ in range(5)]
    bare_seconds = sorted(counts)[len(counts) // 2]
    sweeps = []
    for minute in range(1, 6):
        moment = now + timedelta(minutes=minute)
        begin = time.perf_counter()
        result = sweep(moment)
        sweeps.append((time.perf_counter() - begin, result))
    steady_seconds = sorted(s for s, _r in sweeps)[len(sweeps) // 2]
    work = sum(r["warned"] + r["escalated"] for _s, r in sweeps)

    print(f"open complaints            {args.complaints:>12,}  ({total_clocks:,} stage clocks, set up in {setup:.1f} s)")
    print(f"overdue clocks (bare count){overdue:>12,}")
    print(f"bare SQL count             {bare_seconds * 1000:>12.1f} ms  (median of 5)")
    print(f"backlog sweep              {backlog_seconds:>12.2f} s   ({backlog['warned']:,} warned, "
          f"{backlog['escalated']:,} escalated: {backlog_seconds / max(1, backlog['warned'] + backlog['escalated']) * 1e6:.0f} µs each)")
    print(f"steady sweep (per minute)  {steady_seconds * 1000:>12.1f} ms  (median of 5; {work} warnings/escalations in 5 minutes)")
    print(f"ratio steady sweep / count {steady_seconds / bare_seconds:>12.1f}×  (target < 10×)")


if __name__ == "__main__":
    main()
