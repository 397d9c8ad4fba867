from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back the database up to FILE (SQLite: online backup API, safe while serving; PostgreSQL: pg_dump)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            method = backup(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{file}: {file.stat().st_size} bytes ({method})")
