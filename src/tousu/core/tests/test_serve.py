"""`tousu serve` stopped by a SIGTERM takes its web server and queue consumer with it."""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_sigterm_stops_the_server_and_the_consumer():
    port = _free_port()
    # Its own data directory and SQLite file: the consumer's periodic tasks must not touch the test database.
    env = {**os.environ, "TOUSU_DATA_DIR": str(settings.DATA_DIR / "serve")}
    env.pop("DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "tousu.cli", "serve", "--port", str(port), "--workers", "1"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_children(serve.pid)) < 2:
            time.sleep(0.1)
        children = _children(serve.pid)
        assert len(children) == 2, "serve did not start its server and consumer"
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in children)
    finally:
        try:
            os.killpg(serve.pid, signal.SIGKILL)  # whatever of the group is left
        except ProcessLookupError:
            pass
        serve.wait(10)
