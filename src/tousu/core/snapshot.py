"""Reading several tables as of one moment, without taking the write lock.

Outside a transaction each query sees the database as of its own start, so a complaint read by one query
and its history by the next can straddle another writer's commit. Inside `read_snapshot()` they all see
one moment: on SQLite a deferred transaction (a reader in WAL mode, which neither waits for nor blocks
the writer, unlike the IMMEDIATE transactions Django's `atomic` begins here), on PostgreSQL a read-only
REPEATABLE READ transaction. Inside a caller's transaction it changes nothing: that one already decides.
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
    if connection.vendor != "sqlite":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        # Nothing was written: ending the read lets the next writer check-point past this snapshot.
        if connection.connection is not None and connection.connection.in_transaction:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
