"""Reading several tables as of one moment, without taking the write lock.

Outside a transaction each query sees the database as of its own start, so a complaint read by one query
and its history by the next can straddle another writer's commit. Inside `read_snapshot()` they all see
one moment, in a transaction Django knows about (`atomic`: nested blocks are savepoints, on-commit hooks
wait for its end): on SQLite a deferred one (a reader in WAL mode, which neither waits for nor blocks the
writer, unlike the IMMEDIATE transactions Tousu's SQLite backend begins for writers), on PostgreSQL a
read-only REPEATABLE READ one. Only for reads. Inside a caller's transaction it changes nothing: that one
already decides what is seen.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def read_snapshot() -> Iterator[None]:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "sqlite":
        with connection.beginning_as_reader(), transaction.atomic():  # tousu.core.sqlite: BEGIN DEFERRED
            yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
