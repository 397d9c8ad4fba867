"""The monthly review and the dashboard over N complaints in an SQLite file, next to the bare SQL they need,
measured in the same run.

The complaints are spread over the last two years (so a month holds about N/24 of them and the same
month last year has data too), each with what handling leaves behind: its history events (recorded,
closed, now and then reopened), its assessment with factors and reasons, its three intake stage clocks
(met on time or late, some still running or overdue), and for some a satisfaction survey, a root
cause, a solution, an escalation or an emergency plan. All of it is bulk-inserted.

Printed: the review of last month (`build_review`) next to the same SQL statements it issued, replayed on a
plain sqlite3 connection to the same file (no Django, no Python work: the floor any review could reach),
and the dashboard (`build_dashboard`). Targets: review under 5 s and within 3× the bare queries;
dashboard under 1 s.

    .venv/bin/python bench/report.py [--complaints 1000000] [--repeat 3]
"""

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PRODUCTS = [f"产品{i:02d}" for i in range(60)]
REGIONS = ["上海", "北京", "广东深圳", "广东广州", "浙江杭州", "四川成都", "江苏南京", "湖北武汉", "陕西西安", "山东济南",
           "福建厦门", "重庆", "天津", "河南郑州", "湖南长沙", "辽宁沈阳", "云南昆明", "安徽合肥"]
CHANNELS = ["phone", "phone", "phone", "web", "web", "email", "wechat", "social", "regulator", "onsite", "app_review"]
TYPES = ["product_quality", "product_quality", "service", "service", "delivery", "billing", "contract", "network",
         "safety", "other"]
LEVELS = ["high"] + ["medium"] * 5 + ["low"] * 4
FACTORS = {"high": [(["safety"], ["safety.injury"]), (["compliance", "spread"], ["compliance.regulator", "spread.media"]),
                    (["mass"], ["mass.many"])],
           "medium": [(["money"], ["money.amount"]), (["emotion"], ["emotion.anger"]), ([], ["baseline.default"])],
           "low": [([], ["baseline.enquiry"])]}
CAUSES = ["设计", "原材料", "生产工艺", "检验", "包装运输", "服务流程", "人员态度", "系统故障", "其他"]


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def fill(count: int, now, rng: random.Random) -> dict:
    """Bulk-inserts the complaints and what handling left behind, in their stored form (UTC text times,
    JSON text), with one prepared statement per table: at this size the ORM's conversions would take
    longer than the review being measured."""
    from django.db import connection

    from tousu.accounts.models import Department, User
    from tousu.assessments.models import RiskAssessment
    from tousu.assessments.policies import active_policy
    from tousu.complaints.models import Complaint, ComplaintEvent
    from tousu.timeline import SHANGHAI
    from tousu.workflow.actions.deadlines import rules
    from tousu.workflow.models import Deadline, EmergencyPlan, Escalation, RootCause, Solution, Survey

    def insert(model, names, rows) -> int:
        """Rows of the given columns; every other NOT NULL column gets its field's default (so a column added
        to a model later does not break the fill)."""
        fields = [model._meta.get_field(name) for name in names]
        others = [f for f in model._meta.concrete_fields if f not in fields and not f.primary_key and not f.null]
        defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        fields += others
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        sql = f"INSERT INTO {model._meta.db_table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        total, batch = 0, []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append((*row, *defaults))
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    total, batch = total + len(batch), []
            if batch:
                cursor.executemany(sql, batch)
        return total + len(batch)

    utc_now = now.astimezone(UTC).replace(tzinfo=None)

    def text(moment) -> str | None:  # a naive UTC date-time as Django's SQLite backend stores it
        return None if moment is None else str(moment)

    departments = [Department.objects.create(code=f"d{i}", name=f"部门{i}") for i in range(8)]
    agent = User.objects.create_user("agent", role="agent", department=departments[0], email="agent@example.com")
    version, _policy = active_policy()
    limits, calendar = rules()
    customers = max(1, count * 3 // 4)
    span = 730 * 24 * 60
    facts = []

    # Received times in order, as complaints arrive (an import of old files aside): a month's complaints
    # lie together in the table, as they do in a real one.
    arrivals = sorted(rng.randrange(span * 60) for _ in range(count))

    def complaints():
        for i, seconds_before in enumerate(reversed(arrivals)):
            received = utc_now - timedelta(seconds=seconds_before)
            level = rng.choice(LEVELS)
            kind = "safety" if level == "high" and rng.random() < 0.3 else rng.choice(TYPES)
            emergency = level == "high" and rng.random() < 0.05
            closed = None
            if (utc_now - received).days > 14 or rng.random() < 0.3:
                closed = received + timedelta(hours=rng.uniform(2, 24 * 12))
                closed = closed if closed < utc_now else None
            status = "closed" if closed else rng.choice(["received", "acknowledged", "investigating",
                                                         "solution_proposed", "approved", "carried_out"])
            problem = f"缺陷{rng.randrange(8)}" if kind == "product_quality" and rng.random() < 0.4 else ""
            grade = {"high": 1, "medium": 2, "low": 3}[level]
            facts.append((received, level, emergency, closed))
            yield (f"TS{i:010d}", f"客户{i % 997}", f"139{rng.randrange(customers):08d}", "", "regular", "",
                   rng.choice(CHANNELS), text(received), f"第{i}件投诉", "", rng.choice(PRODUCTS),
                   f"SO{rng.randrange(count):08d}", f"L{rng.randrange(600):04d}", rng.choice(REGIONS), level, level,
                   grade, "urgent" if level == "high" else "normal", emergency, kind, "", problem, False, status,
                   text(closed), rng.choice(departments).pk, agent.pk, agent.pk, "import", "", text(utc_now),
                   text(utc_now))

    insert(Complaint, ("tracking_number", "customer_name", "phone", "email", "customer_level", "company", "channel",
                       "received_at", "text", "demand", "product", "order_no", "lot", "region", "risk_level",
                       "assessed_level", "severity_grade", "priority", "emergency", "complaint_type", "defect_grade",
                       "problem_key", "possible_high_risk", "status", "closed_at", "department", "owner",
                       "first_owner", "source", "external_id", "created_at", "updated_at"), complaints())
    first_id = Complaint.objects.order_by("id").values_list("id", flat=True).first()
    ids = range(first_id, first_id + count)

    def events():
        # Not hash-chained (seq 0, no hashes): the review never reads the audit chain, and chaining two
        # million rows here would only slow the fill.
        close = json.dumps({"action": "close", "before": "carried_out", "after": "closed"})
        reopen = json.dumps({"action": "reopen", "before": "closed", "after": "investigating"})
        for pk, (received, _level, _emergency, closed) in zip(ids, facts, strict=True):
            yield pk, "recorded", None, text(received), "", "{}", 0, "", ""
            if closed is not None:
                yield pk, "status_changed", agent.pk, text(closed), "", close, 0, "", ""
                if rng.random() < 0.03:
                    yield pk, "status_changed", None, text(closed + timedelta(days=1)), "", reopen, 0, "", ""

    stored = {level: [(json.dumps(factors), json.dumps([{"factor": r.split(".")[0], "rule": r, "detail": "",
                                                          "matches": [], "value": None} for r in reasons]))
                      for factors, reasons in choices] for level, choices in FACTORS.items()}

    def assessments():
        for pk, (received, level, emergency, _closed) in zip(ids, facts, strict=True):
            factors, reasons = rng.choice(stored[level])
            yield (pk, version.pk, level, {"high": 1, "medium": 2, "low": 3}[level], "normal", emergency, "other", "",
                   "", factors, reasons, "{}", "intake", text(received))

    closed_ones = [(pk, closed) for pk, (_r, _l, _e, closed) in zip(ids, facts, strict=True) if closed is not None]
    sizes = {
        "events": insert(ComplaintEvent, ("complaint", "kind", "actor", "at", "note", "data", "seq", "prev_hash", "hash"),
                         events()),
        "assessments": insert(RiskAssessment, ("complaint", "policy_version", "risk_level", "severity_grade",
                                               "priority", "emergency", "complaint_type", "complaint_subtype",
                                               "defect_grade", "factors", "reasons", "suggestion", "trigger",
                                               "assessed_at"), assessments()),
        "surveys": insert(Survey, ("complaint", "token", "sent_at", "answered_at", "score", "comment"), (
            (pk, f"t{pk}", text(closed), text(closed + timedelta(days=1)) if answered else None,
             rng.choice([1, 2, 3, 4, 4, 5, 5, 5]) if answered else None, "")
            for pk, closed in closed_ones if rng.random() < 0.6 for answered in (rng.random() < 0.7,))),
        "causes": insert(RootCause, ("complaint", "category", "whys", "updated_by", "updated_at"), (
            (pk, rng.choice(CAUSES), '["why"]', agent.pk, text(closed)) for pk, closed in closed_ones
            if rng.random() < 0.35)),
        "solutions": insert(Solution, ("complaint", "measures", "owner", "due_date", "expected_effect", "compensation",
                                       "status", "proposed_by", "proposed_at"), (
            (pk, "补发并致歉", agent.pk, str((closed + timedelta(days=3)).date()), "", "0", "approved", agent.pk,
             text(closed - timedelta(hours=1))) for pk, closed in closed_ones if rng.random() < 0.3)),
    }

    # The three intake clocks with their real limits on the calendar (a due time depends only on the local
    # day and the limit: computed once per pair), met the way handling meets them: most in time, some late;
    # an open complaint's clock may still run, or be overdue.
    offsets: dict[tuple, timedelta] = {}

    def due_of(received, duration) -> timedelta:
        local = received.replace(tzinfo=UTC).astimezone(SHANGHAI)
        key = (local.date(), duration)  # the same clock time N working days on, or a fixed number of hours
        if key not in offsets:
            from tousu.timeline import due_at

            offsets[key] = due_at(local, duration, calendar) - local
        return offsets[key]

    durations = {}

    def clocks():
        for pk, (received, level, emergency, closed) in zip(ids, facts, strict=True):
            for stage in ("acknowledge", "first_response", "solution"):
                kind = (stage, level, emergency)
                if kind not in durations:
                    durations[kind] = limits.duration(stage, level=level, emergency=emergency, channel="phone")
                duration = durations[kind]
                due = received + due_of(received, duration)
                allowed = due - received
                if closed is not None:
                    met = min(closed, received + allowed * rng.uniform(0.1, 1.3))
                else:
                    met = None if rng.random() < 0.5 else min(utc_now, received + allowed * rng.uniform(0.1, 1.3))
                yield (pk, stage, json.dumps(duration.model_dump(exclude_none=True)), text(received), text(due),
                       text(received + allowed * 0.75), text(due), 0.0, 0, "", "", text(met))

    sizes["clocks"] = insert(Deadline, ("complaint", "stage", "duration", "started_at", "due_at", "warn_at",
                                        "next_escalation_at", "paused_seconds", "escalation_level", "extension_reason",
                                        "sweep_token", "met_at"), clocks())
    escalate = [pk for pk in ids if rng.random() < 0.04]
    solution_clocks = {}
    for start in range(0, len(escalate), 900):
        solution_clocks.update(Deadline.objects.filter(stage="solution", complaint_id__in=escalate[start:start + 900])
                               .values_list("complaint_id", "id"))
    sizes["escalations"] = insert(Escalation, ("deadline", "complaint", "level", "step", "recipients", "at", "reason"), (
        (solution_clocks[pk], pk, 1, rng.choice(["owner", "manager", "leader"]), "[]", text(utc_now), "逾期")
        for pk in escalate))
    plans = [(pk, received) for pk, (received, _l, emergency, _c) in zip(ids, facts, strict=True) if emergency]
    insert(EmergencyPlan, ("title", "state", "proposed_at", "golden_due_at", "activated_at", "closing_review"), (
        (f"TS{pk}", rng.choice(["active", "closed", "declined"]), text(received), text(received + timedelta(hours=2)),
         text(received + timedelta(hours=rng.uniform(0.5, 3))), "") for pk, received in plans))
    plan_ids = list(EmergencyPlan.objects.order_by("id").values_list("id", flat=True))
    insert(EmergencyPlan.complaints.through, ("emergencyplan", "complaint"),
           zip(plan_ids, (pk for pk, _r in plans), strict=True))
    sizes["plans"] = len(plans)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (the median is printed)")
    parser.add_argument("--slowest", type=int, default=0, help="also print the N slowest bare statements")
    parser.add_argument("--data", metavar="DIR", help="keep the filled database in DIR, and reuse it when it is "
                        "there (to time changes to the review without filling again)")
    args = parser.parse_args()
    workdir = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="tousu-bench-report-"))
    workdir.mkdir(parents=True, exist_ok=True)
    filled = workdir / "filled"
    os.environ["TOUSU_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
    from django.utils import timezone

    from tousu.reports.cohort import Cohort
    from tousu.reports.dashboard import build_dashboard
    from tousu.reports.period import previous_month
    from tousu.reports.review import build_review
    from tousu.timeline import SHANGHAI

    started = time.perf_counter()
    if filled.exists():
        now = datetime.fromisoformat(filled.read_text().split()[0])
        count, sizes = int(filled.read_text().split()[1]), json.loads(filled.read_text().split(maxsplit=2)[2])
        if count != args.complaints:
            sys.exit(f"{workdir} holds {count:,} complaints, not {args.complaints:,}")
    else:
        call_command("migrate", verbosity=0)
        now = timezone.now()
        with transaction.atomic():  # one commit: the connection is in autocommit, a commit per row otherwise
            sizes = fill(args.complaints, now, random.Random(2026))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if args.data:
            filled.write_text(f"{now.isoformat()} {args.complaints} {json.dumps(sizes)}")
    setup = time.perf_counter() - started

    period = previous_month(now.astimezone(SHANGHAI).date())
    cohort = Cohort(period)
    statements: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        statements.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        review = build_review(cohort, now=now)  # warms the caches, and records the statements
    review_runs = []
    for _ in range(args.repeat):
        begin = time.perf_counter()
        build_review(cohort, now=now)
        review_runs.append(time.perf_counter() - begin)

    raw = sqlite3.connect(settings.DATABASES["default"]["NAME"])
    raw.execute("PRAGMA cache_size=-65536")
    bare_runs, per_statement = [], [0.0] * len(statements)
    for _ in range(args.repeat):
        begin = time.perf_counter()
        for i, (sql, params) in enumerate(statements):
            one = time.perf_counter()
            raw.execute(FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%"), params).fetchall()
            per_statement[i] += time.perf_counter() - one
        bare_runs.append(time.perf_counter() - begin)
    raw.close()

    build_dashboard(None, now=now)
    dashboard_runs = []
    for _ in range(args.repeat):
        begin = time.perf_counter()
        build_dashboard(None, now=now)
        dashboard_runs.append(time.perf_counter() - begin)

    report_s, bare_s, dashboard_s = _median(review_runs), _median(bare_runs), _median(dashboard_runs)
    print(f"complaints                 {args.complaints:>12,}  over two years (set up in {setup:.0f} s: "
          f"{sizes['clocks']:,} clocks, {sizes['events']:,} events, {sizes['surveys']:,} surveys)")
    print(f"review period              {period.first} – {period.last}: {review['complaints']['count']:,} complaints, "
          f"{len(statements)} queries")
    print(f"bare SQL of those queries  {bare_s:>12.2f} s   (median of {args.repeat})")
    print(f"review (build_review)      {report_s:>12.2f} s   (target < 5 s)")
    print(f"ratio review / bare SQL    {report_s / bare_s:>12.2f}×  (target < 3×)")
    print(f"dashboard                  {dashboard_s:>12.2f} s   (target < 1 s)")
    if args.slowest:
        print("slowest bare statements:")
        for seconds, (sql, _params) in sorted(zip(per_statement, statements, strict=True), reverse=True)[:args.slowest]:
            print(f"  {seconds / args.repeat * 1000:8.1f} ms  {' '.join(sql.split())[:150]}")


if __name__ == "__main__":
    main()
