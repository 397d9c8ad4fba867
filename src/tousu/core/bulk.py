"""Insert many rows with one prepared statement.

Django's `bulk_create` builds a model instance per row and runs every value of every field through
the compiler; at import scale (100,000 rows) that is most of the time spent. Here the statement is built
once and only the values that need the database's own form (date-times, decimals, JSON) are converted,
with the field's own `get_db_prep_save`, so both SQLite and PostgreSQL receive what the ORM would send.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

_NEEDS_PREP = (models.DateField, models.DecimalField, models.JSONField, models.UUIDField, models.BinaryField)


def insert_rows(model: type[models.Model], field_names: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    connection = connections[DEFAULT_DB_ALIAS]  # the real wrapper: the proxy costs a context lookup per use
    fields = [model._meta.get_field(name) for name in field_names]
    prepared_fields = [(index, field) for index, field in enumerate(fields) if isinstance(field, _NEEDS_PREP)]
    fast = {index: _sqlite_adapter(field) for index, field in prepared_fields} if connection.vendor == "sqlite" else {}
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Batches repeat values (every row's created_at is the same `now`): convert each distinct one once.
    memo: dict[tuple[int, Any], Any] = {}
    values = []
    for row in rows:
        if prepared_fields:
            row = list(row)
            for index, field in prepared_fields:
                value = row[index]
                adapt = fast.get(index)
                if adapt is not None and value is not None:
                    row[index] = adapt(value)
                    continue
                if isinstance(value, dict | list):
                    row[index] = field.get_db_prep_save(value, connection)
                    continue
                key = (index, value)
                if key not in memo:
                    memo[key] = field.get_db_prep_save(value, connection)
                row[index] = memo[key]
        values.append(row)
    if values:
        with connection.cursor() as cursor:
            cursor.executemany(sql, values)
    return len(values)


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
        return lambda value: json.dumps(value)
    return None

