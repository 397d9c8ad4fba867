"""Insert many rows with one prepared statement.

Django's `bulk_create` builds a model instance per row and runs every value of every field through
the compiler; at import scale (100,000 rows) that is most of the time spent. Here the statement is built
once and only the values that need the database's own form (date-times, decimals, JSON) are converted,
with the field's own `get_db_prep_save`, so both SQLite and PostgreSQL receive what the ORM would send.
"""

import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

_MISSING = object()
_NEEDS_PREP = (models.DateField, models.DecimalField, models.JSONField, models.UUIDField, models.BinaryField)


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]], *,
                adapted: bool = False) -> int:
    """`adapted`: the rows come as `adapted_rows` gave them (converted ahead, e.g. in a worker process)."""
    connection = connections[DEFAULT_DB_ALIAS]  # the real wrapper: the proxy costs a context lookup per use
    fields = [model._meta.get_field(name) for name in field_names]
    values = list(rows) if adapted else _adapted(connection, fields, rows)
    if not values:
        return 0
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields)
    behind = getattr(_local, "behind", None)
    if behind is not None and behind.connection is connection:
        behind.put(table, columns, len(fields), values)
        return len(values)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: the rows stream in PostgreSQL's own bulk format. An INSERT through Django's cursor would
            # have psycopg quote every value into SQL text in Python, two thirds of an import's time.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)
    return len(values)


class _Behind:
    """A thread that runs the SQLite INSERTs it is handed, in order, on the caller's own connection (inside
    the caller's transaction), while the caller's Python goes on (`inserts_behind`)."""

    def __init__(self, connection):
        self.connection = connection
        self._queue: queue.Queue[tuple | None] = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(connection.connection,), name="inserts-behind",
                                        daemon=True)
        self._thread.start()

    def put(self, table: str, columns: str, width: int, values: list) -> None:
        self._queue.put((table, columns, width, values))

    def _run(self, database) -> None:
        cursor = None
        try:
            cursor = database.cursor()
        except BaseException as exc:
            self._error = exc
        while (item := self._queue.get()) is not None:
            try:
                if self._error is None:  # after a failure, nothing more is written
                    with self.connection.wrap_database_errors:  # Django's exceptions, as the ORM raises them
                        _insert_released(cursor, *item)
            except BaseException as exc:
                self._error = exc
            finally:
                self._queue.task_done()
        if cursor is not None:
            cursor.close()

    def drain(self) -> None:
        """Wait until every INSERT handed over is done; raise the first one's error, if any, and again at
        every later query: what was handed over after it was dropped, so the transaction can only fail."""
        with self._queue.all_tasks_done:  # queue.join(), but not forever should the thread have ended
            while self._queue.unfinished_tasks:
                if not self._thread.is_alive():
                    raise RuntimeError("the thread that inserts behind the caller ended")
                self._queue.all_tasks_done.wait(1.0)
        if self._error is not None:
            raise self._error

    def before_query(self, execute, sql, params, many, context):
        self.drain()  # one statement at a time on the connection, and the query sees what was asked before it
        return execute(sql, params, many, context)

    def stop(self) -> None:
        """End the thread once the INSERT it is running is done; those still waiting are dropped (on the way
        out of a failed block: the transaction is rolled back next, and must not meet an INSERT running)."""
        self._error = self._error or _Stopped()
        self._queue.put(None)
        self._thread.join()


class _Stopped(Exception):
    pass


def _insert_released(cursor, table: str, columns: str, width: int, values: list) -> None:
    """Insert the rows with one statement that reads them from one JSON array, so that SQLite does all of
    the work (indexes, the full-text index's trigger) with Python's lock released: `executemany` takes the
    lock back for every row, and waits each time for the caller's thread to let go of it. Values JSON does
    not carry as the driver binds them (bytes, NaN, text with a NUL) go by `executemany`. Not checked:
    integers beyond 64 bits, which the driver refuses and JSON would store as REAL (Tousu's columns hold
    validated quantities and ids)."""
    try:
        array = json.dumps(values, ensure_ascii=False, allow_nan=False, default=_json_value)
    except (TypeError, ValueError):  # a value JSON cannot carry as the driver binds it (bytes, NaN …)
        array = None
    if array is None or "\\u0000" in array:  # SQLite's JSON reading would end the text at a NUL
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['?'] * width)})", values)
        return
    picked = ", ".join(f"value->>{i}" for i in range(width))
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {picked} FROM json_each(?)", (array,))


def _json_value(value: Any) -> Any:
    """What the SQLite driver binds for the values JSON has no form of: Django's adapters send decimals
    as their text, dates as ISO text."""
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(type(value))


@contextmanager
def inserts_behind() -> Iterator[None]:
    """Inside the caller's transaction on SQLite: `insert_rows` hands its INSERTs to a thread of their own
    and returns at once, so that SQLite's work on them runs on another core while the caller's Python goes
    on. Any other query waits for them first, so everything runs in the order it was asked for; the block
    waits for them at its end. An INSERT's error is raised at the next query or at the block's end.
    Elsewhere (PostgreSQL: COPY) nothing changes."""
    connection = connections[DEFAULT_DB_ALIAS]
    if (connection.vendor != "sqlite" or getattr(_local, "behind", None) is not None
            or sqlite3.sqlite_version_info < (3, 38)):  # the ->> operator
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("inserts_behind() runs inside the caller's transaction")
    behind = _local.behind = _Behind(connection)
    try:
        with connection.execute_wrapper(behind.before_query):
            yield
            behind.drain()
    finally:
        _local.behind = None
        behind.stop()


_local = threading.local()


def adapted_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list:
    """The rows as `insert_rows` sends them to the database, for `insert_rows(…, adapted=True)` later. Runs
    no query: a forked worker process can do it (it reads only which database this is)."""
    return _adapted(connections[DEFAULT_DB_ALIAS], [model._meta.get_field(name) for name in field_names], rows)


def update_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set `field_names` on many rows, each given as (pk, *values), with one prepared UPDATE. Django's
    `bulk_update` writes one CASE per field over the whole batch, which SQLite and PostgreSQL then evaluate
    for every row: about ten times slower for a few thousand stage clocks."""
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    values = [(*row[1:], row[0]) for row in _adapted(connection, [meta.pk, *fields], rows)]
    if values:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",
                               values)
    return len(values)


def _adapted(connection, fields: Sequence[models.Field], rows: Iterable[Sequence[Any]]) -> list:
    """The rows with date-times, decimals and JSON in the form the database takes."""
    prepared_fields = [(index, field) for index, field in enumerate(fields) if isinstance(field, _NEEDS_PREP)]
    if not prepared_fields:
        return list(rows)
    adapter = _ADAPTERS.get(connection.vendor, lambda field: None)
    fast = {index: adapter(field) for index, field in prepared_fields}
    # Batches repeat values (every row's created_at is the same `now`, a clock's next escalation is its
    # due time): convert each distinct one once. Every date-time column is converted alike: one memo.
    memo_group = {index: "datetime" if isinstance(field, models.DateTimeField) else index
                  for index, field in prepared_fields}
    memo: dict[tuple[int | str, Any], Any] = {}
    # JSON values are not hashable; the same object given again (a clock's duration, shared by every clock
    # of its kind) is converted once. The memo keeps the object, so its id is not reused meanwhile.
    same_object: dict[tuple[int, int], tuple[Any, Any]] = {}
    values = []
    for row in rows:
        row = list(row)
        for index, field in prepared_fields:
            value = row[index]
            if isinstance(value, dict | list):
                known = same_object.get((index, id(value)))
                if known is None or known[0] is not value:
                    adapt = fast.get(index)
                    known = same_object[(index, id(value))] = (value, adapt(value) if adapt is not None
                                                               else field.get_db_prep_save(value, connection))
                row[index] = known[1]
                continue
            key = (memo_group[index], value)
            adapted = memo.get(key, _MISSING)
            if adapted is _MISSING:
                adapt = fast.get(index)
                adapted = memo[key] = (adapt(value) if adapt is not None and value is not None
                                       else field.get_db_prep_save(value, connection))
            row[index] = adapted
        values.append(row)
    return values


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys for rows the caller inserts with `insert_rows` (rising, in the order given), so
    that it knows them without reading them back. Inside the caller's write transaction: on SQLite it holds
    the database's only write lock (Tousu begins IMMEDIATE), so the keys after the highest ever given
    (AUTOINCREMENT's rule) stay free until it commits; on PostgreSQL they are drawn from the column's
    sequence, as its own inserts would draw them."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_ids() runs inside the caller's transaction")
    if count <= 0:
        return []
    meta = model._meta
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                           [meta.db_table, meta.pk.column, count])
            return sorted(pk for (pk,) in cursor.fetchall())
        cursor.execute(f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                       f"coalesce((SELECT max({quote(meta.pk.column)}) FROM {quote(meta.db_table)}), 0))",
                       [meta.db_table])
        (highest,) = cursor.fetchone()
    return list(range(highest + 1, highest + 1 + count))


def rows_where_in(model: type[models.Model], field_name: str, values: Iterable[Any], *columns: str,
                  chunk: int = 900) -> list[tuple]:
    """`columns` of the rows whose `field_name` is one of `values` (plain values: text, numbers), as
    tuples. The ORM's `__in` lookup prepares every value through the field (a few µs each); an import
    asks this of thousands of keys per batch."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    meta = model._meta
    selected = ", ".join(quote(meta.get_field(name).column) for name in columns)
    where = quote(meta.get_field(field_name).column)
    values = list(values)
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk):
            part = values[start:start + chunk]
            cursor.execute(f"SELECT {selected} FROM {quote(meta.db_table)} WHERE {where} IN "
                           f"({', '.join(['%s'] * len(part))})", part)
            found.extend(cursor.fetchall())
    return found


def _postgresql_adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """For COPY: aware date-times go as they are (psycopg writes them with their offset), JSON as its text."""
    if isinstance(field, models.DateTimeField):
        def adapt_datetime(value: datetime) -> Any:
            if value.tzinfo is None:
                return field.get_db_prep_save(value, connections[DEFAULT_DB_ALIAS])  # let Django warn
            return value
        return adapt_datetime
    if isinstance(field, models.JSONField) and field.encoder is None:
        return lambda value: json.dumps(value)
    return None


def _sqlite_adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """What Django's SQLite backend sends for aware date-times (naive UTC text) and plain JSON, without
    the per-value trip through the field machinery; None keeps the general path."""
    if isinstance(field, models.DateTimeField):
        def adapt_datetime(value: datetime) -> Any:
            if value.tzinfo is None:
                return field.get_db_prep_save(value, connections[DEFAULT_DB_ALIAS])  # let Django warn
            return str(value.astimezone(UTC).replace(tzinfo=None))
        return adapt_datetime
    if isinstance(field, models.JSONField) and field.encoder is None:
        # json.dumps as the field does: ASCII with \u escapes. (orjson is five times faster but writes UTF-8,
        # and SQLite's JSON paths, which Django writes escaped, then miss non-ASCII keys.)
        return lambda value: json.dumps(value)
    return None


_ADAPTERS = {"sqlite": _sqlite_adapter, "postgresql": _postgresql_adapter}
