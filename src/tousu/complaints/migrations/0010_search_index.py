"""The search index behind complaints.search: SQLite FTS5 (trigram tokenizer) kept by triggers on the
embedded default; pg_trgm GIN indexes on PostgreSQL. Existing rows are indexed when it is applied."""

from django.db import migrations

COLUMNS = ("text", "customer_name", "product", "order_no", "lot", "region")
_cols = ", ".join(COLUMNS)
_new = ", ".join(f"new.{c}" for c in COLUMNS)

SQLITE = [
    f"CREATE VIRTUAL TABLE complaint_search USING fts5({_cols}, content='complaints_complaint', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER complaint_search_insert AFTER INSERT ON complaints_complaint BEGIN "
    f"INSERT INTO complaint_search(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"CREATE TRIGGER complaint_search_delete AFTER DELETE ON complaints_complaint BEGIN "
    f"INSERT INTO complaint_search(complaint_search, rowid, {_cols}) VALUES ('delete', old.id, "
    + ", ".join(f"old.{c}" for c in COLUMNS) + "); END",
    f"CREATE TRIGGER complaint_search_update AFTER UPDATE OF {_cols} ON complaints_complaint BEGIN "
    f"INSERT INTO complaint_search(complaint_search, rowid, {_cols}) VALUES ('delete', old.id, "
    + ", ".join(f"old.{c}" for c in COLUMNS) + f"); INSERT INTO complaint_search(rowid, {_cols}) VALUES (new.id, {_new}); END",
    "INSERT INTO complaint_search(complaint_search) VALUES ('rebuild')",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS complaint_search_insert", "DROP TRIGGER IF EXISTS complaint_search_delete",
               "DROP TRIGGER IF EXISTS complaint_search_update", "DROP TABLE IF EXISTS complaint_search"]
POSTGRES = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS complaint_{c}_trgm ON complaints_complaint USING gin ({c} gin_trgm_ops)"
    for c in COLUMNS]
POSTGRES_DROP = [f"DROP INDEX IF EXISTS complaint_{c}_trgm" for c in COLUMNS]


def forwards(apps, schema_editor):
    statements = SQLITE if schema_editor.connection.vendor == "sqlite" else POSTGRES
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = SQLITE_DROP if schema_editor.connection.vendor == "sqlite" else POSTGRES_DROP
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0009_problem_key")]
    operations = [migrations.RunPython(forwards, backwards)]
