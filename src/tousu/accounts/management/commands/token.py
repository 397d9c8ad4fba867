from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tousu.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Print a user's API token (creating it if needed); use it as 'Authorization: Bearer <token>'."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="replace the token with a new one")

    def handle(self, *args, username: str, rotate: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("username: no user named %(name)s") % {"name": username})
        if not user.is_active:
            raise CommandError(_("username: user %(name)s is inactive") % {"name": username})
        self.stdout.write(ApiToken.issue(user, rotate=rotate).key)
