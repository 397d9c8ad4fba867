"""Backup and restore of the database: SQLite through sqlite3's online backup API (a consistent copy taken
page by page while the server keeps serving), PostgreSQL through pg_dump / pg_restore (custom format)."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

from django.db import connection

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    pass


def _is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection


def _pg_url() -> str:
    s = connection.settings_dict
    auth = quote(s.get("USER") or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgresql://{auth + '@' if auth else ''}{host}{port}/{quote(s['NAME'], safe='')}"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (Debian: postgresql-client)")
    return found


def backup(path: Path) -> str:
    """Write the whole database to `path`; returns the method used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    if _is_sqlite():
        target = sqlite3.connect(partial)
        try:
            _raw_sqlite().backup(target)
        finally:
            target.close()
        method = "sqlite-online-backup"
    else:
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), _pg_url()],
                              capture_output=True, text=True)
        if done.returncode:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        method = "pg_dump"
    os.replace(partial, path)  # a backup file is either whole or absent
    return method


def _check_file(path: Path) -> bytes:
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as f:
        head = f.read(16)
    if not (head.startswith(PG_MAGIC) or head == SQLITE_MAGIC):
        raise BackupError(f"{path}: not a Tousu backup (neither an SQLite database nor a pg_dump archive)")
    return head


def restore(path: Path) -> str:
    """Replace the database's content by the backup at `path`; returns the method used."""
    head = _check_file(path)
    if _is_sqlite():
        if head != SQLITE_MAGIC:
            raise BackupError(f"{path}: a PostgreSQL archive cannot be restored into SQLite")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in source.execute("select name from sqlite_master where type='table'")}
            if "django_migrations" not in tables:
                raise BackupError(f"{path}: an SQLite file without Tousu's tables (django_migrations)")
            source.backup(_raw_sqlite())
        finally:
            source.close()
        return "sqlite-online-backup"
    if not head.startswith(PG_MAGIC):
        raise BackupError(f"{path}: an SQLite file cannot be restored into PostgreSQL")
    connection.close()
    done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--dbname", _pg_url(), str(path)], capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    return "pg_restore"
