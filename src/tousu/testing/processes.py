"""Real queue consumers for tests that kill one mid-work: started in their own process group, pointed at
the test database and data directory."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection


def test_database_url() -> str:
    """The database this test runs on, as a DATABASE_URL another process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_consumer(**env: str) -> subprocess.Popen:
    """`tousu run_huey` on the test database and data directory; `env` adds settings (TOUSU_…)."""
    full_env = {**os.environ, "DATABASE_URL": test_database_url(), "TOUSU_DATA_DIR": str(settings.DATA_DIR), **env}
    return subprocess.Popen([sys.executable, "-m", "tousu.cli", "run_huey", "--workers", "1", "--quiet"],
                            env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def wait_until(condition: Callable[[], bool], seconds: float = 60, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and everything it started (its process group), and reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)
