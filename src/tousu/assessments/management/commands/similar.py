import json

from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.accounts.roles import Role
from tousu.assessments.cases import similar_cases
from tousu.complaints.models import Complaint
from tousu.complaints.tracking import normalise


class Command(BaseCommand):
    help = "The past cases most similar to a complaint, with how they were solved (R-RP-3)."

    def add_arguments(self, parser):
        parser.add_argument("tracking_number")
        parser.add_argument("-k", type=int, default=5, help="how many cases (default 5)")
        parser.add_argument("--user", help="see only what this user may see (default: every department)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, tracking_number: str, k: int, user: str | None, json: bool, **options):
        if k < 1:
            raise CommandError("-k: at least 1")
        complaint = Complaint.objects.filter(tracking_number=normalise(tracking_number)).first()
        if complaint is None:
            raise CommandError(f"tracking_number: no complaint {tracking_number}")
        reader = User.objects.filter(username=user).first() if user else User(username="cli", role=Role.QUALITY)
        if reader is None:
            raise CommandError(f"--user: no user {user}")
        cases = similar_cases(complaint, user=reader, k=k)
        if json:
            self.stdout.write(_dumps({"tracking_number": complaint.tracking_number, "similar": cases}))
            return
        for case in cases:
            mark = " *" if case["reference"] else ""
            self.stdout.write(f"{case['tracking_number']}{mark}  {case['similarity']:.2f}  {case['text'][:50]}")
            self.stdout.write(f"    {case['solution'] or '—'}  {case['outcome']}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
