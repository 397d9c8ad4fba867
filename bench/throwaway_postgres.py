"""A fresh database on a PostgreSQL server for one benchmark run, and its removal afterwards (used by
bench/intake.py and bench/load.py with --postgres)."""

import os


def fresh_database(server_url: str, prefix: str) -> str:
    """Create `<prefix>_<pid>` (dropping a leftover of an interrupted run) and return its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(server_url: str, database_url: str) -> None:
    """Drop the run's database, closing what is still connected to it (a killed server's sessions)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
