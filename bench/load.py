"""Complaints over HTTP under load: Tousu started the README way, many clients recording complaints through
the JSON API at once, and afterwards the database asked whether every acknowledged complaint is there.

    .venv/bin/python bench/load.py [--seconds 30] [--clients 16] [--workers 2] [--threads 16]
                                   [--postgres postgres://postgres@127.0.0.1:5432/test] [--kill]

Each round gets a fresh data directory: `tousu migrate`, `tousu demo`, `tousu token agent`, then
`tousu serve --port P` on 127.0.0.1. The clients (threads, one keep-alive connection each) post varied
complaints for `--seconds`; the server is stopped and every tracking number answered with 201 is looked up
with its assessment and its stage clocks. Printed next to it, from the same run: a raw one-row-per-transaction
SQLite insert rate (the storage baseline) and the clients' own ceiling against a server that does nothing.
`--postgres URL` adds a round on a fresh database on that server (and its raw one-row insert rate).

`--kill` (issue 13, load without loss): the queue consumer runs beside `tousu serve --no-consumer`, kept
running as a supervisor would; during the run the web workers (gunicorn restarts them) and the consumer
(the supervisor restarts it) are killed with SIGKILL, more than once each. Notifications go to an SMTP
server and a chat webhook in this process, which count every arrival by idempotency key: every
notification due must arrive, and be recognisable as the same message when it arrives twice.
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throwaway_postgres import drop_database, fresh_database

BENCH_DIR = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, help="length of the load (default 30; 60 with --kill)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="tousu serve --workers")
    parser.add_argument("--threads", type=int, default=16, help="tousu serve --threads (its default)")
    parser.add_argument("--postgres", metavar="URL", help="also a round on a fresh database on this PostgreSQL server")
    parser.add_argument("--kill", action="store_true", help="kill -9 web workers and the consumer during the run")
    parser.add_argument("--keep", action="store_true", help="keep each round's data directory and server log")
    parser.add_argument("--round", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)  # one round, as JSON
    args = parser.parse_args()
    args.seconds = args.seconds or (60.0 if args.kill else 30.0)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    if args.round:
        print(json.dumps(run_round(args)))
        return

    workdir = Path(tempfile.mkdtemp(prefix="tousu-load-"))
    _setup_django(workdir / "parent")
    from tousu.testing.load import client_ceiling

    print(f"Tousu load: {args.clients} clients x {args.seconds:.0f} s, POST /api/complaints, "
          f"tousu serve --workers {args.workers} --threads {args.threads}{' , with kills' if args.kill else ''}")
    raw = raw_sqlite_rate(workdir / "raw.sqlite3")
    print(f"raw one-row INSERT+COMMIT (SQLite, WAL, synchronous=FULL): {raw:,.0f} rows/s")
    ceiling = client_ceiling(clients=args.clients)
    print(f"client ceiling (same clients, a server that does nothing): {ceiling.rate:,.0f} requests/s, "
          f"p99 {ceiling.percentile(99):.1f} ms")
    rounds = ["sqlite", *(["postgres"] if args.postgres else [])]
    failed = False
    for database in rounds:
        command = [sys.executable, str(Path(__file__).resolve()), "--round", database, "--seconds", str(args.seconds),
                   "--clients", str(args.clients), "--workers", str(args.workers), "--threads", str(args.threads),
                   *(["--postgres", args.postgres] if args.postgres else []), *(["--kill"] if args.kill else []),
                   *(["--keep"] if args.keep else [])]
        finished = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        if finished.returncode != 0:
            print(f"{database}: the round failed (exit {finished.returncode})")
            failed = True
            continue
        result = json.loads(finished.stdout.strip().splitlines()[-1])
        failed |= report(database, result, raw, args.kill)
    shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


def report(database: str, result: dict, raw_sqlite: float, kill: bool) -> bool:
    load, stored = result["load"], result["stored"]
    name = "SQLite (embedded default)" if database == "sqlite" else "PostgreSQL"
    print(f"\n== {name}")
    print(f"complaints/s            {load['per_second']:10,.1f}   ({load['created']:,} answered 201 in {load['seconds']} s; "
          f"{load['per_second'] / raw_sqlite:.3f} of the raw SQLite rate)")
    print(f"latency p50 / p95 / p99 {load['p50_ms']:7.0f} / {load['p95_ms']:.0f} / {load['p99_ms']:.0f} ms")
    if "server_cpu_ms" in result:
        cpu, cores = result["server_cpu_ms"], os.cpu_count() or 1
        server = "; PostgreSQL's own work not counted" if database == "postgres" else ""
        print(f"CPU per complaint       {cpu:7.1f} ms in tousu serve (web workers and consumer{server}: at most "
              f"{1000 * cores / cpu:.0f}/s on {cores} idle cores), {result['client_cpu_ms']:.1f} ms in the clients")
    if "raw_postgres" in result:
        print(f"raw one-row INSERT+COMMIT (PostgreSQL): {result['raw_postgres']:,.0f} rows/s")
    print(f"other answers           {load['failures'] or 'none'}")
    print(f"lost                    {stored['lost']}   (of {stored['acknowledged']:,} acknowledged: missing "
          f"{len(stored['missing'])}, without assessment {len(stored['without_assessment'])}, without clocks "
          f"{len(stored['without_clocks'])}; stored but never answered: {stored['stored_without_201']})")
    bad = stored["lost"] > 0
    if kill:
        for at, what, pids in result["kills"]:
            print(f"  killed at {at:5.1f} s: {what} {pids}")
        print(f"consumer restarts       {result['consumer_restarts']}")
        sent = result["deliveries"]
        print(f"notifications           {sent['due']} due, {sent['delivered']} arrived, {sent['missing']} missing, "
              f"{sent['unsent_rows']} unsent, {sent['repeats_recognised_by_key']} repeats recognised by key "
              f"{sent['repeated_keys']}")
        bad |= bool(sent["missing"] or sent["unsent_rows"] or sent["unknown"])
    return bad


def _setup_django(data_dir: Path, database_url: str = "") -> None:
    os.environ["TOUSU_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tousu.settings")
    import django

    django.setup()


def raw_sqlite_rate(path: Path, seconds: float = 2.0) -> float:
    """One-row INSERT + COMMIT after another into a bare table, with Tousu's durability (WAL, synchronous=FULL)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE complaint (id INTEGER PRIMARY KEY, tracking_number TEXT, text TEXT, "
                       "channel TEXT, customer_name TEXT, phone TEXT, product TEXT, region TEXT, received_at TEXT)")
    rows, until = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < until:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO complaint VALUES (NULL, ?, ?, 'phone', '王伟', '13812345678', '电热水壶', "
                           "'上海', datetime('now'))", (f"TS{rows:08d}", f"热水壶底座冒烟 {rows}"))
        connection.execute("COMMIT")
        rows += 1
    rate = rows / (time.perf_counter() - started)
    connection.close()
    return rate


def raw_postgres_rate(database_url: str, seconds: float = 2.0) -> float:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_raw (id bigserial PRIMARY KEY, tracking_number text, text text, "
                           "channel text, customer_name text, phone text, product text, region text, received_at timestamptz)")
        rows, until = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < until:
            with connection.transaction():
                connection.execute("INSERT INTO bench_raw VALUES (DEFAULT, %s, %s, 'phone', '王伟', '13812345678', "
                                   "'电热水壶', '上海', now())", (f"TS{rows:08d}", f"热水壶底座冒烟 {rows}"))
            rows += 1
        rate = rows / (time.perf_counter() - started)
        connection.execute("DROP TABLE bench_raw")
    return rate


def run_round(args) -> dict:
    """One database: set up the README way, serve, load, stop, check. Prints progress on stderr."""
    workdir = Path(tempfile.mkdtemp(prefix=f"tousu-load-{args.round}-"))
    database_url = fresh_database(args.postgres, "tousu_load") if args.round == "postgres" else ""
    _setup_django(workdir / "data", database_url)
    from contextlib import ExitStack

    from tousu.complaints.models import Complaint
    from tousu.notify.models import WebhookEndpoint
    from tousu.testing.load import ComplaintBodies, run_clients
    from tousu.testing.losses import check_deliveries, check_stored, drain_outbox, received_keys
    from tousu.testing.served import Consumer, Killer, Server, kill_plan, tousu_command, tree_cpu_seconds
    from tousu.testing.servers import SmtpServer, WebhookServer, free_port

    def say(message: str) -> None:
        print(f"[{args.round}] {message}", file=sys.stderr, flush=True)

    result: dict = {}
    with ExitStack() as stack:
        env = {**os.environ}
        smtp = webhook = None
        if args.kill:
            smtp, webhook = stack.enter_context(SmtpServer()), stack.enter_context(WebhookServer())
            # A delivery cut short by a kill is tried again after this long (300 s in production).
            env.update(TOUSU_EMAIL_HOST="127.0.0.1", TOUSU_EMAIL_PORT=str(smtp.port), TOUSU_NOTIFY_CLAIM_SECONDS="5")
            os.environ.update(env)
        say(f"data in {workdir}; migrate, demo, token")
        subprocess.run(tousu_command("migrate", "--noinput"), env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(tousu_command("demo"), env=env, check=True, stdout=subprocess.DEVNULL)
        token = subprocess.run(tousu_command("token", "agent"), env=env, check=True, stdout=subprocess.PIPE,
                               text=True).stdout.strip()
        if webhook is not None:
            WebhookEndpoint.objects.create(name="投诉处理群", kind="wecom", url=webhook.url)
        if database_url:
            result["raw_postgres"] = raw_postgres_rate(database_url)
        before = Complaint.objects.count()
        log = stack.enter_context((workdir / "serve.log").open("w"))
        port = free_port()
        server = Server(port, env, workers=args.workers, threads=args.threads, consumer=not args.kill, log=log)
        consumer = Consumer(env, log=log) if args.kill else None
        say(f"tousu serve --port {port} --workers {args.workers} --threads {args.threads}"
            f"{' --no-consumer, and a supervised consumer' if consumer else ''}")
        server.start()
        try:
            if consumer is not None:
                consumer.start()
            bodies = ComplaintBodies()
            # A moment of warm-up (each worker's first requests load the policy and the model); its complaints
            # are checked with the rest but not timed.
            warm = run_clients(port, token, clients=min(args.clients, 4), seconds=2, bodies=bodies)
            killer = Killer(server, consumer, kill_plan(args.seconds)).start() if consumer is not None else None
            say(f"{args.clients} clients for {args.seconds:.0f} s")
            assert server.process is not None
            server_cpu, client_cpu = tree_cpu_seconds(server.process.pid), time.process_time()
            load = run_clients(port, token, clients=args.clients, seconds=args.seconds, bodies=bodies)
            if killer is None:  # killed workers take their CPU time with them
                result["server_cpu_ms"] = (tree_cpu_seconds(server.process.pid) - server_cpu) * 1000 / len(load.created)
            result["client_cpu_ms"] = (time.process_time() - client_cpu) * 1000 / max(len(load.created), 1)
            if killer is not None:
                killer.join()
                result["kills"] = killer.done
        finally:
            server.stop()
        if consumer is not None:
            say("server stopped; delivering what is left in the outbox")
            drain_outbox(120)
            consumer.stop()
            result["consumer_restarts"] = consumer.restarts
            result["deliveries"] = check_deliveries(received_keys(smtp, webhook)).summary()
        say("checking the database")
        result["load"] = load.summary()
        result["warm_up"] = warm.summary()
        result["stored"] = check_stored(warm.created + load.created, existing_before=before).summary()
    if database_url:
        from django.db import connections

        connections.close_all()
        drop_database(args.postgres, database_url)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
