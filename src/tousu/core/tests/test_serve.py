"""`tousu serve` stopped by a SIGTERM takes its web server and queue consumer with it, whenever it comes."""

import os
import random
import signal
import socket
import subprocess
import sys

from django.conf import settings

from tousu.testing.processes import kill_group, wait_until
from tousu.testing.served import process_stat
from tousu.testing.servers import free_port


def _children(pid: int) -> list[int]:
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := process_stat(int(entry))) is not None and int(fields[1]) == pid]


def _alive(pid: int) -> bool:
    fields = process_stat(pid)
    return fields is not None and fields[0] != "Z"


def _group(pgid: int) -> list[int]:
    """Every living process of a process group: `serve`, its children and theirs (gunicorn's workers)."""
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := process_stat(int(entry))) is not None and int(fields[3]) == pgid
            and fields[0] != "Z"]


def _start_serve(name: str, *options: str, port: int | None = None, **streams) -> subprocess.Popen:
    port = port or free_port()
    # Its own data directory and SQLite file: the consumer's periodic tasks must not touch the test database.
    env = {**os.environ, "TOUSU_DATA_DIR": str(settings.DATA_DIR / name)}
    env.pop("DATABASE_URL", None)
    # A session of its own, so that the process group is `serve` and everything it starts.
    return subprocess.Popen([sys.executable, "-m", "tousu.cli", "serve", "--port", str(port), "--workers", "1", *options],
                            env=env, start_new_session=True,
                            **{"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **streams})


def test_a_sigterm_stops_the_server_and_the_consumer():
    serve = _start_serve("serve")
    try:
        assert wait_until(lambda: len(_children(serve.pid)) == 2, 60), "serve did not start its server and consumer"
        children = _children(serve.pid)
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        assert wait_until(lambda: not any(_alive(pid) for pid in children), 30)
    finally:
        kill_group(serve)  # whatever of the group is left


def test_a_sigterm_at_any_moment_of_start_up_leaves_nothing_running():
    # The moments that went wrong: between starting one child and the other, inside the wait for them,
    # and a second signal while the first is being handled. Counted from the first child, since Django's
    # own start-up before it takes longer than the children's.
    rounds = random.Random()
    for round_number in range(6):  # the double signal falls in rounds 2 and 5
        # Django's system checks are skipped: they only lengthen each round, before the first child.
        serve = _start_serve("serve-rounds", "--skip-checks")
        try:
            assert wait_until(lambda: bool(_children(serve.pid)), 60, step=0.005), "serve started nothing"  # noqa: B023
            delay = rounds.uniform(0, 3)
            wait_until(lambda: serve.poll() is not None, delay, step=0.005)  # noqa: B023
            serve.send_signal(signal.SIGTERM)
            if round_number % 3 == 2:
                wait_until(lambda: False, rounds.uniform(0, 0.5), step=0.005)
                serve.send_signal(signal.SIGTERM)
            assert wait_until(lambda: serve.poll() is not None and not _group(serve.pid), 10), (  # noqa: B023
                f"round {round_number}: a SIGTERM {delay:.2f} s after the first child left {_group(serve.pid)}")
        finally:
            kill_group(serve)


def test_when_the_server_cannot_start_serve_stops_the_consumer_and_says_so():
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        serve = _start_serve("serve-port-taken", "--skip-checks", port=port, stderr=subprocess.PIPE)
        try:
            _out, errors = serve.communicate(timeout=60)
            assert serve.returncode == 1
            assert "gunicorn stopped on its own" in errors.decode()
            assert wait_until(lambda: not _group(serve.pid), 10), f"left {_group(serve.pid)} running"
        finally:
            kill_group(serve)


def test_served_links_point_at_the_port_served_unless_a_public_address_is_set(monkeypatch):
    from tousu.core.management.commands import serve as serve_command

    seen = {}
    monkeypatch.delenv("TOUSU_BASE_URL", raising=False)
    monkeypatch.setattr(serve_command, "supervise", lambda commands: seen.update(os.environ) or None)
    serve_command.Command().handle(port=8765, host="127.0.0.1", workers=1, threads=1, no_consumer=True)
    assert seen["TOUSU_BASE_URL"] == "http://127.0.0.1:8765"
    monkeypatch.setenv("TOUSU_BASE_URL", "https://tousu.example.com")
    serve_command.Command().handle(port=8765, host="127.0.0.1", workers=1, threads=1, no_consumer=True)
    assert seen["TOUSU_BASE_URL"] == "https://tousu.example.com"
