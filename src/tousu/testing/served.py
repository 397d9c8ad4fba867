"""Tousu served for real, as an operator runs it: `tousu serve` (gunicorn's threaded workers) and queue
consumers, each in its own process group, with what a supervisor does — restart a consumer that died —
and what a bad day does: kill -9 web workers and consumers in the middle of the work."""

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def process_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def children(pid: int) -> list[int]:
    """The living children of a process."""
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := process_stat(int(entry))) is not None and int(fields[1]) == pid
            and fields[0] != "Z"]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and every living descendant: what a server costs
    per unit of work, a figure a busy machine disturbs far less than wall time."""
    ticks = os.sysconf("SC_CLK_TCK")
    fields = process_stat(pid)
    own = (int(fields[11]) + int(fields[12])) / ticks if fields else 0.0
    return own + sum(tree_cpu_seconds(child) for child in children(pid))


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def tousu_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tousu.cli", *args]


def answers(port: int, path: str = "/accounts/login/", host: str = "127.0.0.1") -> bool:
    """Whether the server answers a GET with anything but a server error."""
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            status = sock.recv(64).split(b" ", 2)
            return len(status) > 1 and status[1][:1] in (b"2", b"3", b"4")
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """SIGTERM, then after `seconds` SIGKILL to its whole process group (it leads one: started with
    start_new_session); reaped either way."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(seconds)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


@dataclass
class Server:
    """`tousu serve` on one port; `consumer=False` serves without the queue consumer beside it (when a
    supervisor runs consumers of its own, or several app servers share them)."""

    port: int
    env: Mapping[str, str]
    workers: int = 2
    threads: int = 4
    consumer: bool = True
    log: IO | int = subprocess.DEVNULL
    process: subprocess.Popen | None = None

    def start(self, ready_seconds: float = 120) -> "Server":
        return self.launch().wait_ready(ready_seconds)

    def launch(self) -> "Server":
        """Start it without waiting, so several servers boot side by side."""
        options = ["--port", str(self.port), "--workers", str(self.workers), "--threads", str(self.threads)]
        self.process = subprocess.Popen(tousu_command("serve", *options, *([] if self.consumer else ["--no-consumer"])),
                                        env=dict(self.env), stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def wait_ready(self, seconds: float = 120) -> "Server":
        process = self.process
        assert process is not None
        if not wait_until(lambda: answers(self.port) or process.poll() is not None, seconds):
            raise RuntimeError(f"tousu serve did not answer on port {self.port} within {seconds} s")
        if process.poll() is not None:
            raise RuntimeError(f"tousu serve ended at start-up with exit status {process.returncode}")
        return self

    def gunicorn(self) -> int | None:
        assert self.process is not None
        return next((pid for pid in children(self.process.pid) if "gunicorn" in _cmdline(pid)), None)

    def web_workers(self) -> list[int]:
        master = self.gunicorn()
        return children(master) if master else []

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@dataclass
class Consumer:
    """A queue consumer (`tousu run_huey`) kept running as a supervisor would (systemd's Restart=always):
    when it dies it is started again after `restart_after` seconds."""

    env: Mapping[str, str]
    workers: int = 1
    restart_after: float = 1.0
    log: IO | int = subprocess.DEVNULL
    restarts: int = 0
    process: subprocess.Popen | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None

    def _spawn(self) -> None:
        self.process = subprocess.Popen(tousu_command("run_huey", "--workers", str(self.workers)), env=dict(self.env),
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def start(self) -> "Consumer":
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        while not self._stopping.wait(0.1):
            if self.process is not None and self.process.poll() is not None:
                if self._stopping.wait(self.restart_after):
                    return
                self.restarts += 1
                self._spawn()

    def kill(self) -> None:
        """kill -9, as the OOM killer or a pulled plug would."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        if self.process is not None:
            stop(self.process)


@dataclass
class Kill:
    at: float  # seconds after the start of the load
    what: str  # "one web worker", "every web worker" or "the consumer"


def kill_plan(seconds: float) -> list[Kill]:
    """Three blows to the web workers (one, all of them, one) and two to the consumer, spread over the run."""
    return [Kill(seconds * 0.15, "one web worker"), Kill(seconds * 0.3, "the consumer"),
            Kill(seconds * 0.45, "every web worker"), Kill(seconds * 0.6, "the consumer"),
            Kill(seconds * 0.75, "one web worker")]


@dataclass
class Killer:
    """Carries out a kill plan against a server and a consumer in a thread of its own; `done` lists what
    was killed, with the process ids, when."""

    server: Server
    consumer: Consumer
    plan: list[Kill]
    # Waited for (up to 3 s) before the consumer is killed, e.g. "a delivery is in flight", so that the kill
    # lands in the middle of the work rather than between two pieces of it.
    consumer_busy: Callable[[], bool] | None = None
    done: list[tuple[float, str, list[int]]] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def start(self) -> "Killer":
        self._thread = threading.Thread(target=self._run, args=(time.monotonic(),), daemon=True)
        self._thread.start()
        return self

    def _run(self, started: float) -> None:
        rng = random.Random(13)
        for kill in self.plan:
            time.sleep(max(0.0, started + kill.at - time.monotonic()))
            if kill.what == "the consumer":
                if self.consumer_busy is not None:
                    wait_until(self.consumer_busy, 3, step=0.01)
                pids = [self.consumer.process.pid] if self.consumer.process else []
                self.consumer.kill()
            else:
                workers = self.server.web_workers()
                pids = workers if kill.what == "every web worker" else rng.sample(workers, min(1, len(workers)))
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            self.done.append((round(time.monotonic() - started, 1), kill.what, pids))

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
