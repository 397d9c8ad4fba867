"""Django's SQLite backend, with writers queued on a lock file beside the database.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps in growing steps
up to 100 ms between tries and keeps no order. Under many concurrent intakes a writer could lose the race
again and again: measured with bench/load.py (16 clients), a p99 above a second while the median was
125 ms. Here a writer first takes an exclusive `flock` on `<database>.writers`, polled every millisecond
or two, then begins its IMMEDIATE transaction, and lets go at commit or rollback: waits end within a
couple of milliseconds of the lock coming free. After the busy timeout it stops waiting for the file
lock and leaves the decision to SQLite, as before (a deadlock between two connections of one process, as
some tests make on purpose, ends the same way it did)."""

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.sqlite3 import base

POLL_SECONDS = (0.0005, 0.001, 0.002)


class DatabaseWrapper(base.DatabaseWrapper):
    _writers_fd: int | None = None
    _holding = False
    _reading_next = False  # the next transaction only reads (`beginning_as_reader`)

    @contextmanager
    def beginning_as_reader(self) -> Iterator[None]:
        """A transaction begun inside begins as a reader: `BEGIN DEFERRED`, without queueing for the write
        lock. A WAL reader sees one moment of the database and neither waits for the writer nor holds it
        up. Only for reads: a write inside would have to take the lock unqueued (`core.snapshot`)."""
        self._reading_next = True
        try:
            yield
        finally:
            self._reading_next = False  # also when nothing began (the connection could not be opened)

    def _queue_for_writing(self) -> None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return
        if self._writers_fd is None:
            self._writers_fd = os.open(f"{name}.writers", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + _busy_seconds(self)
        step = 0
        while True:
            try:
                fcntl.flock(self._writers_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._holding = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's own locking decides, as without the queue
                time.sleep(POLL_SECONDS[min(step, len(POLL_SECONDS) - 1)])
                step += 1

    def _done_writing(self) -> None:
        if self._holding and self._writers_fd is not None:
            fcntl.flock(self._writers_fd, fcntl.LOCK_UN)
        self._holding = False

    def _start_transaction_under_autocommit(self):
        if self._reading_next:
            self._reading_next = False
            self.cursor().execute("BEGIN DEFERRED")
            return
        self._queue_for_writing()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._done_writing()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._done_writing()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._done_writing()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._done_writing()
            if self._writers_fd is not None:
                os.close(self._writers_fd)
                self._writers_fd = None


def _busy_seconds(wrapper: DatabaseWrapper) -> float:
    return float(wrapper.settings_dict.get("OPTIONS", {}).get("timeout", 20))
