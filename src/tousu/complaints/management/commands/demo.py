import os
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department, User
from tousu.accounts.roles import Role
from tousu.complaints.choices import Source
from tousu.complaints.demo_data import COMPLAINTS
from tousu.complaints.models import ChannelDuty, Complaint
from tousu.complaints.validation import validate_intake
from tousu.intake.pipeline import record_complaint

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
                user.email = f"{username}@tousu.local"
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
                self._progress(users)
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

    def _progress(self, users: dict[str, User]) -> None:
        """Move part of the demo complaints along the workflow so every page has something to show."""
        from datetime import date

        from tousu.workflow.actions import approvals, emergency
        from tousu.workflow.actions.feedback import answer_survey
        from tousu.workflow.actions.transitions import perform
        from tousu.workflow.models import EmergencyPlan

        agent, specialist = users["agent"], users["specialist"]
        approvers = {"specialist": specialist, "manager": users["manager"], "quality": users["quality"],
                     "leader": users["leader"]}
        now = timezone.now()
        complaints = Complaint.objects.filter(source=Source.DEMO).order_by("received_at", "id")
        for index, complaint in enumerate(complaints):
            step, start = index % 5, complaint.received_at
            if step == 0 or complaint.owner_id is None:
                continue
            owner = complaint.owner
            perform(complaint, "acknowledge", by=owner, now=min(now, start + timedelta(hours=1)))
            if step == 1:
                continue
            perform(complaint, "start_investigation", by=owner, now=min(now, start + timedelta(hours=3)))
            if step == 2 or (now - start).days < 3:
                continue
            moment = min(now, start + timedelta(days=1))
            data = approvals.SolutionInput(measures="核实情况后为客户退换货并致歉", owner=owner,
                                           due_date=max(date.today(), moment.date()), expected_effect="客户满意",
                                           compensation=200)
            # The agent proposes, so that the specialist may sign the first level (separation of duties).
            solution = approvals.propose_solution(complaint, data, by=agent, now=moment)
            if step == 3:
                continue  # left waiting for approval
            while (pending := approvals.current_step(solution)) is not None:
                approver = next(u for u in approvers.values() if approvals.may_decide_step(u, solution, pending))
                approvals.decide(solution, by=approver, approve=True, reason="同意", now=moment)
            perform(complaint, "carry_out", by=owner, now=moment + timedelta(hours=2))
            if complaint.emergency_plans.filter(state__in=(EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE)).exists():
                continue  # its emergency plan is still open: the complaint waits for the leader to end it
            perform(complaint, "close", by=owner, now=moment + timedelta(hours=3))
            survey = complaint.surveys.first()
            answer_survey(survey.token, score=2 if index % 10 == 4 else 5,
                          comment="处理太慢" if index % 10 == 4 else "满意", now=moment + timedelta(hours=5))
        plan = EmergencyPlan.objects.filter(state=EmergencyPlan.State.PROPOSED).order_by("proposed_at").first()
        if plan is not None:
            emergency.activate(plan, by=users["leader"], now=now, team=[(agent, "on_site"), (users["quality"], "records")])
            emergency.report(plan, by=agent, kind="action", text="已联系客户并安排上门处理", now=now)

