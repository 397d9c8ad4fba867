"""The few expressions the review needs that Django has no portable form for, each written natively for
SQLite and PostgreSQL (Django's own date-time arithmetic on SQLite calls back into Python for every row)."""

import sqlite3

from django.db import connection
from django.db.models import Case, Func, IntegerField, Value, When
from django.db.models.expressions import ExpressionWrapper

from tousu.reports.worktime import DAY


class Epoch(Func):
    """Whole seconds since 1970 (UTC) of a date-time column."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # unixepoch() (SQLite 3.38+) parses the stored text about half again as fast as strftime('%s').
        template = ("unixepoch(%(expressions)s)" if sqlite3.sqlite_version_info >= (3, 38)
                    else "CAST(strftime('%%s', %(expressions)s) AS INTEGER)")
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)",
                           **extra)


def local_day(column: str, offset: int) -> ExpressionWrapper:
    return ExpressionWrapper((Epoch(column) + Value(offset)) / Value(DAY), output_field=IntegerField())


def stretch(column: str, offset: int, bounds: tuple[int, ...]):
    """How many of `bounds` (seconds after local midnight) the moment has passed; 0 without bounds."""
    if not bounds:
        return Value(0, output_field=IntegerField())
    local = Epoch(column) + Value(offset)
    of_day = ExpressionWrapper(local - (local / Value(DAY)) * Value(DAY), output_field=IntegerField())
    total = None
    for bound in bounds:
        passed = Case(When(condition=_at_least(of_day, bound), then=Value(1)), default=Value(0),
                      output_field=IntegerField())
        total = passed if total is None else total + passed
    return ExpressionWrapper(total, output_field=IntegerField())


def _at_least(expression, bound: int):
    from django.db.models.lookups import GreaterThanOrEqual

    return GreaterThanOrEqual(expression, Value(bound))


def json_elements(column: str, alias: str) -> str:
    """A FROM-clause item naming each element of a JSON array column `alias.value` (one row per element)."""
    if connection.vendor == "postgresql":
        return f"CROSS JOIN LATERAL jsonb_array_elements({column}) AS {alias}(value)"
    return f", json_each({column}) AS {alias}"


def json_text(alias: str) -> str:
    """The text of an element given by `json_elements` (a string element)."""
    if connection.vendor == "postgresql":
        return f"({alias}.value #>> '{{}}')"
    return f"{alias}.value"


def json_field(alias: str, key: str) -> str:
    """The text of `key` of an element given by `json_elements` (an object element)."""
    if connection.vendor == "postgresql":
        return f"({alias}.value ->> '{key}')"
    return f"json_extract({alias}.value, '$.{key}')"


def days_before(column: str, days: int) -> str:
    """The date-time `days` whole days (of 24 hours) before a date-time column, comparable with such columns."""
    if connection.vendor == "postgresql":
        return f"({column} - INTERVAL '{int(days)} days')"
    # Django stores UTC text with microseconds; %f keeps milliseconds, enough for "within 30 days".
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '-{int(days)} days')"
