import os
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Role
from tousu.complaints.actions.intake import record_complaint
from tousu.complaints.choices import Source
from tousu.complaints.demo_data import COMPLAINTS
from tousu.complaints.models import ChannelDuty, Complaint
from tousu.complaints.validation import validate_intake

DEPARTMENTS = [
    ("service", "客户服务中心"),
    ("quality", "质量管理部"),
    ("sales", "销售与客户经理部"),
    ("operations", "运营保障部"),
]
USERS = [
    # username, display name, role, department
    ("agent", "王小丽（客服专员）", Role.AGENT, "service"),
    ("specialist", "李明（投诉专员）", Role.SPECIALIST, "service"),
    ("manager", "陈刚（客服中心经理）", Role.MANAGER, "service"),
    ("quality", "周琳（质量部）", Role.QUALITY, "quality"),
    ("leader", "赵总（应急小组组长）", Role.LEADER, "operations"),
    ("analyst", "孙悦（数据分析）", Role.ANALYST, "quality"),
    ("admin", "系统管理员", Role.ADMIN, None),
]
# Channels nobody is standing at: their complaints go first to the duty agent.
UNATTENDED_CHANNELS = ("web", "email", "sms", "wechat", "social", "app_review", "regulator", "letter", "partner")


class Command(BaseCommand):
    help = "Load demo departments, one user per role, and 65 complaints from five industries; print the login."

    def handle(self, *args, **options):
        password = os.environ.get("TOUSU_DEMO_PASSWORD", "tousu-demo")
        with transaction.atomic():
            departments = {code: Department.objects.get_or_create(code=code, defaults={"name": name})[0]
                           for code, name in DEPARTMENTS}
            users = {}
            for username, display_name, role, department in USERS:
                user, _created = User.objects.get_or_create(username=username)
                user.display_name = display_name
                user.role = role
                user.department = departments.get(department) if department else None
                user.is_staff = role == Role.ADMIN
                user.is_superuser = role == Role.ADMIN
                user.set_password(password)
                user.save()
                users[username] = user
            departments["service"].manager = users["manager"]
            departments["service"].save()
            for channel in UNATTENDED_CHANNELS:
                ChannelDuty.objects.update_or_create(
                    channel=channel, defaults={"agent": users["agent"], "department": departments["service"]})
            created = 0
            if not Complaint.objects.filter(source=Source.DEMO).exists():
                created = self._complaints(users["agent"])
        self.stdout.write(_("Demo data ready: %(created)d new complaints, %(total)d in all.")
                          % {"created": created, "total": Complaint.objects.count()})
        self.stdout.write(_("Log in as admin / %(password)s (every demo user: agent, specialist, manager, quality, "
                            "leader, analyst, admin has the same password)") % {"password": password})

    def _complaints(self, agent: User) -> int:
        today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        count = 0
        for _industry, channel, days_ago, hour, name, phone, text, extra in COMPLAINTS:
            received_at: datetime = (today - timedelta(days=days_ago)).replace(hour=hour)
            received_at = min(received_at, timezone.localtime() - timedelta(minutes=5))
            data = validate_intake({"text": text, "channel": channel, "customer_name": name, "phone": phone,
                                    "received_at": received_at, **extra}, now=timezone.now())
            by = agent if channel in ("phone", "onsite") else None
            record_complaint(data, by=by, source=Source.DEMO, now=received_at)
            count += 1
        return count
