import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from tousu.accounts.models import User
from tousu.intake.imports import import_file


class Command(BaseCommand):
    help = "Import complaints from a .csv or .xlsx file; re-importing the same file creates nothing new."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--channel", default="", help="channel for rows that name none (default web)")
        parser.add_argument("--user", default="", help="record the import as done by this user")
        parser.add_argument("--no-progress", action="store_true", help="do not draw a progress bar")

    def handle(self, *args, file: str, json: bool, channel: str, user: str, no_progress: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("file: %(path)s does not exist") % {"path": path})
        by = None
        if user:
            by = User.objects.filter(username=user).first()
            if by is None:
                raise CommandError(_("user: no user named %(name)s") % {"name": user})
        bar = tqdm(unit=" rows", desc=path.name, disable=no_progress or None, file=sys.stderr)

        def progress(report, row: int) -> None:
            bar.total = report.total_rows
            bar.update(row - 1 - bar.n)  # data rows read (the header is row 1)

        with path.open("rb") as stream:
            report = import_file(stream, path.name, by=by, now=timezone.now(), default_channel=channel,
                                 progress=progress)
        bar.close()
        if json:
            self.stdout.write(_json_dumps(report.as_dict()))
            return
        self.stdout.write(_("created %(created)d, duplicates %(duplicates)d, errors %(errors)d") % {
            "created": report.created, "duplicates": report.duplicates, "errors": len(report.errors)})
        for error in report.errors:
            self.stdout.write(_("row %(row)d, column %(column)s: %(reason)s") % error.as_dict())
        if report.ignored_columns:
            self.stdout.write(_("ignored columns: %(columns)s") % {"columns": ", ".join(report.ignored_columns)})


def _json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
