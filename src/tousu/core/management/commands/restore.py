from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Replace the database's content by a backup made with `tousu backup` (stop the server first)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="do not ask before replacing the database")

    def handle(self, *args, file: Path, interactive: bool, **options):
        if interactive and input(f"Replace the whole database by {file}? Type 'yes': ").strip() != "yes":
            raise CommandError("restore cancelled; nothing changed")
        try:
            method = restore(file)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored from {file} ({method})")
