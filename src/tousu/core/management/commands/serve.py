import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# How long the children get to stop after a SIGTERM before they are killed: gunicorn lets its workers
# finish their requests for GRACE_SECONDS, and serve waits a little longer than that for it.
GRACE_SECONDS = 5
STOP_SECONDS = GRACE_SECONDS + 3
_POLL_SECONDS = 0.2


class Command(BaseCommand):
    help = "Serve Tousu with gunicorn on 127.0.0.1 and run a background-task consumer beside it."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        # SQLite has one writer at a time: more processes only queue on its lock. A worker's threads answer
        # other requests while one waits, and complaints arriving at once on one worker's threads are
        # recorded as one group in one transaction (intake/grouped.py): the more threads, the larger the
        # groups in a flood. Two processes use both cores for what is not the write (HTTP, validation,
        # the answer). bench/load.py, 16 clients for 30 s on 2 cores: 2 x 4 threads 50/s, 2 x 16 134/s.
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--threads", type=int, default=16, help="threads per worker (gthread)")
        parser.add_argument("--no-consumer", action="store_true", help="do not start a task consumer")

    def handle(self, *args, port: int, host: str, workers: int, threads: int, no_consumer: bool, **options):
        if workers < 1 or threads < 1:
            raise CommandError("--workers and --threads must be at least 1")
        # Links in mails and surveys point at this server unless a public address is configured.
        os.environ.setdefault("TOUSU_BASE_URL", f"http://{host}:{port}")
        commands = {}
        if not no_consumer:
            commands["the task consumer"] = [sys.executable, "-m", "tousu.cli", "run_huey", "--workers", "1"]
        commands["gunicorn"] = [
            sys.executable, "-m", "gunicorn", "tousu.wsgi:application", "--bind", f"{host}:{port}",
            "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
            "--access-logfile", "-", "--timeout", "300", "--graceful-timeout", str(GRACE_SECONDS),
            # gunicorn 27's control socket is one path per user (~/.gunicorn): a second serve would take it.
            "--no-control-socket",
            *(["--reload"] if settings.DEBUG else []),
        ]
        self.stdout.write(f"Tousu: http://{host}:{port}/  (public page: http://{host}:{port}/public/)")
        failed = supervise(commands)
        if failed is not None:
            raise CommandError(f"{failed} stopped on its own; Tousu stopped with it")


def supervise(commands: dict[str, list[str]]) -> str | None:
    """Run the commands side by side until a SIGTERM or SIGINT, or until one of them ends; then stop the
    others. Returns the one that ended on its own, or None when stopped by a signal.

    The signal handler only records the signal: raising from it (KeyboardInterrupt) could interrupt
    Popen.wait while it holds its lock, or the clean-up itself, and leave the children running. The
    handler is in place before the first child starts, so no signal falls between the two.
    """
    stop: list[int] = []

    def on_signal(signum, frame) -> None:
        stop.append(signum)

    previous = {signum: signal.signal(signum, on_signal) for signum in (signal.SIGTERM, signal.SIGINT)}
    children: dict[str, subprocess.Popen] = {}
    ended = None
    try:
        for name, command in commands.items():
            if stop:
                break
            children[name] = subprocess.Popen(command)
        while not stop and ended is None:
            ended = next((name for name, child in children.items() if child.poll() is not None), None)
            if ended is None:
                time.sleep(_POLL_SECONDS)
    finally:
        _stop(list(children.values()))
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return None if stop else ended


def _stop(children: list[subprocess.Popen]) -> None:
    """SIGTERM each child that still runs, wait for them all, SIGKILL whoever is still there."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        try:
            child.wait(max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
