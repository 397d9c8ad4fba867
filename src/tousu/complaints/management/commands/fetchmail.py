import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tousu.intake.email import MailboxSettings, fetch


class Command(BaseCommand):
    help = "Read the complaint mailbox over IMAP: new mail becomes complaints, replies join their complaint."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.TOUSU_IMAP_HOST)
        parser.add_argument("--port", type=int, default=settings.TOUSU_IMAP_PORT)
        parser.add_argument("--user", default=settings.TOUSU_IMAP_USER)
        parser.add_argument("--password", default=settings.TOUSU_IMAP_PASSWORD)
        parser.add_argument("--folder", default=settings.TOUSU_IMAP_FOLDER)
        parser.add_argument("--no-ssl", action="store_true", default=not settings.TOUSU_IMAP_SSL)

    def handle(self, *args, host, port, user, password, folder, no_ssl, **options):
        if not host:
            raise CommandError("--host: no mailbox configured (set TOUSU_IMAP_HOST or give --host)")
        mailbox = MailboxSettings(host=host, port=port, user=user, password=password, folder=folder, ssl=not no_ssl)
        try:
            report = fetch(mailbox, now=timezone.now())
        except OSError as exc:
            raise CommandError(f"--host: cannot reach {host}:{port}: {exc}") from None
        except Exception as exc:  # imaplib.IMAP4.error for a refused login
            raise CommandError(f"--user: the mailbox refused us: {exc}") from None
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
