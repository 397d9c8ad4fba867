"""`tousu serve` stopped by a SIGTERM takes its web server and queue consumer with it."""

import os
import signal
import subprocess
import sys

from django.conf import settings

from tousu.testing.processes import kill_group, wait_until
from tousu.testing.servers import free_port


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
    port = free_port()
    # Its own data directory and SQLite file: the consumer's periodic tasks must not touch the test database.
    env = {**os.environ, "TOUSU_DATA_DIR": str(settings.DATA_DIR / "serve")}
    env.pop("DATABASE_URL", None)
    serve = subprocess.Popen([sys.executable, "-m", "tousu.cli", "serve", "--port", str(port), "--workers", "1"],
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_until(lambda: len(_children(serve.pid)) == 2, 60), "serve did not start its server and consumer"
        children = _children(serve.pid)
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        assert wait_until(lambda: not any(_alive(pid) for pid in children), 30)
    finally:
        kill_group(serve)  # whatever of the group is left
