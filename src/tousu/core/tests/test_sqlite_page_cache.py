"""Web connections keep a modest page cache (they live between requests); bulk work takes a large one
while it runs and gives it back."""

import pytest
from django.db import connection

from tousu.core.sqlite import large_page_cache

pytestmark = pytest.mark.django_db


def _cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_a_connection_keeps_16_mib_and_bulk_work_takes_64_mib_while_it_runs():
    assert _cache_size() == -16384
    with large_page_cache():
        assert _cache_size() == -65536
    assert _cache_size() == -16384
    with pytest.raises(RuntimeError), large_page_cache(1024):
        assert _cache_size() == -1024
        raise RuntimeError("the import failed")
    assert _cache_size() == -16384
