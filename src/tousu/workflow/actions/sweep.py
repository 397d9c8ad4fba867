"""The deadline sweep (R-WF-4): warn owners before a deadline, escalate after it — owner, then the
department manager, then the emergency-team leaders — each step recorded and notified once.

Work is claimed with one conditional UPDATE per kind (`… WHERE warned_at IS NULL`, `… WHERE
escalation_level = L`) that also stamps a sweep token, and the rows carrying the token are read back:
two sweeps at once, or one run twice, never warn or escalate the same thing twice. Each claim commits
with its events and outbox rows, so a crash leaves either all of it or none."""

import uuid
from collections import defaultdict
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Role
from tousu.complaints import events
from tousu.core.bulk import insert_rows
from tousu.notify.outbox import active_webhooks, build, store
from tousu.timeline import SHANGHAI
from tousu.timeline.rules import due_at
from tousu.workflow.actions.clocks import end_lapsed_mediations
from tousu.workflow.actions.deadlines import rules
from tousu.workflow.actions.people import leaders as emergency_team_leaders
from tousu.workflow.models import Deadline, EmergencyPlan, Escalation

STAGE_NAMES = dict(Deadline._meta.get_field("stage").choices)


# Rows claimed and recorded per transaction: a backlog (after an import of old complaints, say) is worked
# off in short transactions, so intake never waits long for the database.
CHUNK = 1000


def sweep(now: datetime, chunk: int = CHUNK) -> dict[str, int]:
    # Lapsed mediations end first: their clocks are met at their due time and are not escalated.
    mediations = _until_done(lambda moment, _chunk: end_lapsed_mediations(moment), now, chunk)
    result = {"warned": _until_done(warn_due, now, chunk), "escalated": _until_done(escalate_overdue, now, chunk)}
    if mediations:
        result["mediations_ended"] = mediations
    reminded = remind_unconfirmed_emergencies(now)
    if reminded:
        result["emergencies_unconfirmed"] = reminded
    return result


def remind_unconfirmed_emergencies(now: datetime) -> int:
    """A proposed emergency plan nobody confirmed or declined within its golden period: the leaders and
    the departments' managers are told once more, and the complaints' histories say so."""
    with transaction.atomic():
        late = EmergencyPlan.objects.filter(state=EmergencyPlan.State.PROPOSED, golden_due_at__lte=now,
                                            overdue_reminded_at__isnull=True)
        if not late.update(overdue_reminded_at=now):
            return 0
        plans = list(EmergencyPlan.objects.filter(state=EmergencyPlan.State.PROPOSED, overdue_reminded_at=now)
                     .prefetch_related("complaints__department__manager"))
        leaders = emergency_team_leaders()
        hooks = active_webhooks()
        rows, notifications = [], []
        for plan in plans:
            complaints = list(plan.complaints.all())
            managers = [c.department.manager for c in complaints if c.department_id and c.department.manager_id]
            reason = _("emergency plan not confirmed within the golden period (due %(due)s)") % {
                "due": _minute(plan.golden_due_at)}
            rows += [events.escalated_row(c.pk, at=now, reason=reason, step="leader", plan=plan.pk) for c in complaints]
            notifications += build(key=f"emergency-unconfirmed:{plan.pk}", kind="escalation", now=now,
                                   complaint=complaints[0] if complaints else None, recipients=[*leaders, *managers],
                                   hooks=hooks, subject=f"{plan.title[:80]} — {reason}", body=plan.title)
        events.record_many(rows)
        store(notifications)
    return len(plans)


def _minute(moment: datetime) -> str:
    """A time in messages: Shanghai, to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _until_done(step, now: datetime, chunk: int) -> int:
    total = 0
    while done := step(now, chunk):
        total += done
    return total


# What the sweep reads of each claimed clock: enough for events, recipients and the message.
_PERSON = ("username", "email", "is_active", "role", "department_id")
_READ = ("id", "stage", "due_at", "escalation_level", "complaint__id", "complaint__tracking_number",
         "complaint__text", "complaint__owner_id", "complaint__department_id",
         *(f"complaint__owner__{f}" for f in _PERSON), "complaint__department__manager_id",
         *(f"complaint__department__manager__{f}" for f in _PERSON))


def _open(queryset):
    return queryset.filter(met_at__isnull=True, paused_at__isnull=True)


def _claim(candidates, chunk: int, **values) -> int:
    """One conditional UPDATE of at most `chunk` rows; the conditions are in the outer WHERE too, so a
    row another worker changed meanwhile is not taken twice."""
    ids = candidates.order_by().values("pk")[:chunk]
    return candidates.filter(pk__in=ids).update(**values)


def warn_due(now: datetime, chunk: int = CHUNK) -> int:
    token = uuid.uuid4().hex
    with transaction.atomic():
        due = _open(Deadline.objects).filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)
        claimed = _claim(due, chunk, warned_at=now, sweep_token=token)
        if not claimed:
            return 0
        deadlines = list(Deadline.objects.filter(sweep_token=token).select_related(
            "complaint__owner", "complaint__department__manager").only(*_READ))
        rows, notifications = [], []
        for deadline in deadlines:
            complaint = deadline.complaint
            stage = str(STAGE_NAMES.get(deadline.stage, deadline.stage))
            rows.append(events.deadline_warning_row(complaint.pk, at=now, stage=deadline.stage, due_at=deadline.due_at))
            owner = [complaint.owner] if complaint.owner_id else ([complaint.department.manager]
                                                                  if complaint.department_id and complaint.department.manager_id else [])
            notifications += build(
                key=f"warn:{deadline.pk}:{deadline.due_at.isoformat()}", kind="warning", now=now, complaint=complaint,
                recipients=owner, hooks=(),
                subject=_("%(number)s: %(stage)s due %(due)s") % {
                    "number": complaint.tracking_number, "stage": stage,
                    "due": _minute(deadline.due_at)},
                body=complaint.text[:300])
        events.record_many(rows)
        store(notifications)
    return len(deadlines)


def escalate_overdue(now: datetime, chunk: int = CHUNK) -> int:
    limits, calendar = rules()
    steps = limits.escalation.steps
    next_at = due_at(now, limits.escalation.every, calendar)
    token = uuid.uuid4().hex
    total = 0
    with transaction.atomic():
        # Highest level first, so a row moved up in this sweep is not moved again by the next level.
        for level in reversed(range(len(steps))):
            if total >= chunk:
                break
            overdue = _open(Deadline.objects).filter(escalation_level=level, next_escalation_at__lte=now)
            total += _claim(overdue, chunk - total, escalation_level=level + 1,
                            next_escalation_at=next_at if level + 1 < len(steps) else None, sweep_token=token)
        if not total:
            return 0
        deadlines = list(Deadline.objects.filter(sweep_token=token).select_related(
            "complaint__owner", "complaint__department__manager").only(*_READ))
        hooks = active_webhooks()
        leaders = emergency_team_leaders()
        managers_by_department: dict[int, list[User]] = defaultdict(list)
        for manager in User.objects.filter(role=Role.MANAGER, is_active=True):
            managers_by_department[manager.department_id].append(manager)
        escalations, rows, notifications = [], [], []
        for deadline in deadlines:
            complaint = deadline.complaint
            step = steps[deadline.escalation_level - 1]
            targets = _targets(step, complaint, leaders, managers_by_department)
            stage = str(STAGE_NAMES.get(deadline.stage, deadline.stage))
            reason = _("%(stage)s overdue since %(due)s") % {
                "stage": stage, "due": _minute(deadline.due_at)}
            escalations.append((deadline.pk, complaint.pk, deadline.escalation_level, step, [u.pk for u in targets],
                                now, reason))
            rows.append(events.escalated_row(complaint.pk, at=now, reason=reason, step=step, stage=deadline.stage,
                                             level=deadline.escalation_level, to=[u.username for u in targets]))
            notifications += build(
                key=f"escalate:{deadline.pk}:{deadline.due_at.isoformat()}:{deadline.escalation_level}", kind="escalation", now=now,
                complaint=complaint, recipients=targets, hooks=hooks if step != "owner" else (),
                subject=_("Escalated (%(step)s): %(number)s — %(reason)s") % {
                    "step": step, "number": complaint.tracking_number, "reason": reason},
                body=complaint.text[:300])
        insert_rows(Escalation, ("deadline", "complaint", "level", "step", "recipients", "at", "reason"), escalations)
        events.record_many(rows)
        store(notifications)
    return len(deadlines)


def _targets(step: str, complaint, leaders: list[User], managers: dict[int, list[User]]) -> list[User]:
    manager = ([complaint.department.manager] if complaint.department_id and complaint.department.manager_id
               else managers.get(complaint.department_id, []))
    if step == "owner":
        return [complaint.owner] if complaint.owner_id else manager or leaders
    if step == "manager":
        return manager or leaders
    return leaders
