"""The audit chain (R-SEC-4) at a million events on SQLite: the events are bulk-written through
`events.record_many` into a fresh database file, then `verify-audit` is timed from the first row (--full)
and from its last checkpoint, next to a bare SELECT of the same columns of the same rows in the same run.

    .venv/bin/python bench/audit.py [--events 1000000] [--complaints 1000]
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
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--complaints", type=int, default=1_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="tousu-bench-audit-"))
    os.environ["TOUSU_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from tousu.accounts.models import User
    from tousu.complaints import events
    from tousu.complaints.choices import EventKind
    from tousu.complaints.models import Complaint

    call_command("migrate", verbosity=0)
    agent = User.objects.create_user("agent", role="agent", email="agent@example.com")
    now = timezone.now()
    Complaint.objects.bulk_create([
        Complaint(tracking_number=f"TS2611-A{i:07d}", channel="phone", text=f"第{i}件投诉", received_at=now,
                  status="acknowledged", source="import", owner=agent, first_owner=agent, created_at=now,
                  updated_at=now) for i in range(args.complaints)], batch_size=5000)
    ids = list(Complaint.objects.values_list("id", flat=True))
    rng = random.Random(2026)
    kinds = [EventKind.NOTE, EventKind.CONTACT, EventKind.STATUS_CHANGED, EventKind.ASSESSED]

    began = time.perf_counter()
    written = 0
    while written < args.events:
        size = min(10_000, args.events - written)
        rows = [(rng.choice(ids), rng.choice(kinds), agent.pk if i % 3 else None,
                 now + timedelta(seconds=written + i), f"第{written + i}次回电：客户要求退款" if i % 2 else "",
                 {"from": "received", "to": "acknowledged", "n": written + i}) for i in range(size)]
        with transaction.atomic():
            events.record_many(rows)
        written += size
    write_seconds = time.perf_counter() - began

    began = time.perf_counter()
    count = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, seq, complaint_id, kind, actor_id, at, note, data, prev_hash, hash "
                       "FROM complaints_complaintevent ORDER BY id")
        while chunk := cursor.fetchmany(5000):
            count += len(chunk)
    select_seconds = time.perf_counter() - began

    full = events.verify(full=True)
    assert full.ok and full.checked == count == args.events, full.as_dict()
    events.record_many([(ids[0], EventKind.NOTE, None, now, "之后的一条", {})])
    from_checkpoint = events.verify()
    assert from_checkpoint.ok and from_checkpoint.from_checkpoint, from_checkpoint.as_dict()

    print(f"events: {args.events:,} over {args.complaints:,} complaints (SQLite, {workdir})")
    print(f"write through record_many (10,000 a transaction): {write_seconds:.1f} s "
          f"({args.events / write_seconds:,.0f} events/s)")
    print(f"bare SELECT of the same columns, same rows:        {select_seconds:.1f} s")
    print(f"verify-audit --full:                               {full.seconds:.1f} s "
          f"({full.seconds / select_seconds:.1f}x the bare SELECT; {full.checkpoints_written} checkpoints written)")
    print(f"verify-audit from the last checkpoint:             {from_checkpoint.seconds:.3f} s "
          f"({from_checkpoint.checked} events walked)")


if __name__ == "__main__":
    main()
