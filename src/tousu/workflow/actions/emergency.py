"""R-WF-7: the assessment's emergency flag proposes a plan; the emergency-team leader confirms (or
declines) it; a team by role, linked complaints, a log of actions and progress reports, a closing review.
The leaders are told at once: the golden period for acknowledging is two hours."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core.bulk import insert_rows
from tousu.notify.outbox import active_webhooks, build, enqueue, store
from tousu.workflow.actions.people import leaders
from tousu.workflow.models import EmergencyLog, EmergencyMember, EmergencyPlan

GOLDEN_PERIOD = timedelta(hours=2)
State = EmergencyPlan.State


def propose_emergency(complaint: Complaint, *, now: datetime) -> EmergencyPlan | None:
    """Called at intake when the assessment says emergency; one open plan per complaint."""
    plans = propose_missing_emergencies([complaint], now=now)
    return plans[0] if plans else None


def propose_missing_emergencies(complaints: Sequence[Complaint], *, now: datetime) -> list[EmergencyPlan]:
    """A proposed plan for each complaint that has no open (proposed or active) one."""
    covered = set(EmergencyPlan.complaints.through.objects.filter(
        complaint_id__in=[c.pk for c in complaints]).exclude(emergencyplan__state__in=[State.DECLINED, State.CLOSED])
        .values_list("complaint_id", flat=True))
    with transaction.atomic():
        return propose_emergencies([c for c in complaints if c.pk not in covered], now=now)


def propose_emergencies(complaints: Sequence[Complaint], *, now: datetime) -> list[EmergencyPlan]:
    """A proposed plan per complaint (new ones: an import, or intake through `propose_emergency`), each
    with its log line, the complaint's event and a message to the leaders; a few bulk inserts in all."""
    if not complaints:
        return []
    plans = EmergencyPlan.objects.bulk_create([
        EmergencyPlan(title=f"{c.tracking_number} {c.text[:60]}", proposed_at=now, golden_due_at=now + GOLDEN_PERIOD)
        for c in complaints])
    pairs = list(zip(plans, complaints, strict=True))
    insert_rows(EmergencyPlan.complaints.through, ("emergencyplan", "complaint"),
                [(plan.pk, c.pk) for plan, c in pairs])
    insert_rows(EmergencyLog, ("plan", "kind", "event", "data", "text", "by", "at"),
                [(plan.pk, EmergencyLog.Kind.STATE, EmergencyLog.Event.PROPOSED, {"by": "assessment"}, "", None, now)
                 for plan in plans])
    events.record_many(events.emergency_row(c.pk, by=None, at=now, plan=plan.pk, state=State.PROPOSED)
                       for plan, c in pairs)
    recipients, hooks = leaders(), active_webhooks()
    store([row for plan, c in pairs for row in build(
        key=f"emergency:{plan.pk}", kind="emergency", complaint=c, now=now, recipients=recipients, hooks=hooks,
        subject=_("Emergency proposed: %(number)s — confirm within 2 hours") % {"number": c.tracking_number},
        body=c.text[:500])])
    return plans


def propose_shared_plan(complaints: Sequence[Complaint], *, title: str, reason: str, now: datetime) -> EmergencyPlan:
    """One proposed plan for many complaints (a mass incident), instead of a plan each: one log line, one
    message to the leaders, an event on each complaint."""
    plan = EmergencyPlan.objects.create(title=title[:200], proposed_at=now, golden_due_at=now + GOLDEN_PERIOD)
    # The incident that proposes it keeps the facts (linked by Incident.emergency_plan); the log keeps a code.
    EmergencyLog.objects.create(plan=plan, kind=EmergencyLog.Kind.STATE, at=now, event=EmergencyLog.Event.PROPOSED,
                                data={"by": "incident"})
    attach_to_plan(plan, complaints, now=now)
    enqueue(key=f"emergency:{plan.pk}", kind="emergency", now=now, recipients=leaders(),
            complaint=complaints[0] if complaints else None,
            subject=_("Emergency proposed: %(title)s — confirm within 2 hours") % {"title": plan.title},
            body=reason)
    return plan


def attach_to_plan(plan: EmergencyPlan, complaints: Sequence[Complaint], *, now: datetime) -> None:
    """Link complaints to a plan on the system's behalf (those linked already are left as they are)."""
    linked = set(plan.complaints.values_list("id", flat=True))
    new = [c for c in complaints if c.pk not in linked]
    insert_rows(EmergencyPlan.complaints.through, ("emergencyplan", "complaint"), [(plan.pk, c.pk) for c in new])
    events.record_many(events.emergency_row(c.pk, by=None, at=now, plan=plan.pk, state=plan.state, linked=True)
                       for c in new)


def _lead(by: User) -> None:
    if not by.can(Capability.LEAD_EMERGENCY):
        raise AccessDenied("only the emergency-team leader may do this")


def _state_change(plan: EmergencyPlan, *, to: str, by: User, now: datetime, event: str, text: str = "",
                  **values) -> None:
    """`text` is the leader's own words (a reason for declining); what happened is the event code."""
    if not EmergencyPlan.objects.filter(pk=plan.pk, state=plan.state).update(state=to, **values):
        raise IntakeError([FieldError("state", _("the plan was changed meanwhile; reload it"))])
    plan.state = to
    for name, value in values.items():
        setattr(plan, name, value)
    EmergencyLog.objects.create(plan=plan, kind=EmergencyLog.Kind.STATE, by=by, at=now, event=event, text=text)
    for complaint in plan.complaints.all():
        events.emergency(complaint.pk, by=by, at=now, note=text, plan=plan.pk, state=to)


def activate(plan: EmergencyPlan, *, by: User, now: datetime, team: Sequence[tuple[User, str]] = ()) -> EmergencyPlan:
    _lead(by)
    if plan.state != State.PROPOSED:
        raise IntakeError([FieldError("state", _("only a proposed plan can be activated"))])
    _check_team(team)
    if not [user for user, _role in team if user.pk != by.pk]:
        # R-WF-7: a plan is carried out by a team (on-site handling, logistics, records), not by its leader alone.
        raise IntakeError([FieldError("team", _("name at least one team member besides the leader"))])
    with transaction.atomic():
        _state_change(plan, to=State.ACTIVE, by=by, now=now, event=EmergencyLog.Event.ACTIVATED, activated_at=now,
                      activated_by=by)
        members = [(by, EmergencyMember.TeamRole.LEADER), *team]
        EmergencyMember.objects.bulk_create([EmergencyMember(plan=plan, user=u, team_role=r) for u, r in members],
                                            ignore_conflicts=True)
        enqueue(key=f"emergency-active:{plan.pk}", kind="emergency", now=now,
                recipients=[u for u, _r in members], complaint=plan.complaints.first(),
                subject=_("Emergency plan activated: %(title)s") % {"title": plan.title},
                body=_("You are on the emergency team."))
    return plan


def _check_team(team: Sequence[tuple[User, str]]) -> None:
    roles = set(EmergencyMember.TeamRole.values)
    bad = [role for _user, role in team if role not in roles]
    if bad:
        raise IntakeError([FieldError("team", _("unknown team role %(role)s") % {"role": bad[0]})])


def add_members(plan: EmergencyPlan, *, by: User, now: datetime, team: Sequence[tuple[User, str]]) -> list[EmergencyMember]:
    """The team of an active plan grows as the crisis needs (the leader adds people later)."""
    _lead(by)
    if plan.state != State.ACTIVE:
        raise IntakeError([FieldError("state", _("people join the team of an active plan"))])
    _check_team(team)
    if not team:
        raise IntakeError([FieldError("team", _("choose the person and the team role"))])
    with transaction.atomic():
        added = EmergencyMember.objects.bulk_create(
            [EmergencyMember(plan=plan, user=u, team_role=r) for u, r in team], ignore_conflicts=True)
        EmergencyLog.objects.create(plan=plan, kind=EmergencyLog.Kind.ACTION, by=by, at=now,
                                    event=EmergencyLog.Event.JOINED,
                                    data={"members": [[str(u), role] for u, role in team]})
        enqueue(key=f"emergency-join:{plan.pk}:{now.timestamp()}", kind="emergency", now=now,
                recipients=[u for u, _r in team], complaint=plan.complaints.first(),
                subject=_("Emergency plan activated: %(title)s") % {"title": plan.title},
                body=_("You are on the emergency team."))
    return added


def decline(plan: EmergencyPlan, *, by: User, reason: str, now: datetime) -> EmergencyPlan:
    _lead(by)
    if plan.state != State.PROPOSED:
        raise IntakeError([FieldError("state", _("only a proposed plan can be declined"))])
    if not reason.strip():
        raise IntakeError([FieldError("reason", _("say why no emergency plan is needed"))])
    with transaction.atomic():
        _state_change(plan, to=State.DECLINED, by=by, now=now, event=EmergencyLog.Event.DECLINED, text=reason.strip(),
                      closed_at=now)
    return plan


def report(plan: EmergencyPlan, *, by: User, kind: str, text: str, now: datetime) -> EmergencyLog:
    """An action taken or a progress report, on the plan's timeline."""
    if not (by.can(Capability.LEAD_EMERGENCY) or plan.members.filter(user=by).exists()):
        raise AccessDenied("only the emergency team writes on its timeline")
    errors = []
    if kind not in (EmergencyLog.Kind.ACTION, EmergencyLog.Kind.PROGRESS):
        errors.append(FieldError("kind", _("action or progress")))
    if not text.strip():
        errors.append(FieldError("text", _("write what was done or how it stands")))
    if plan.state != State.ACTIVE:
        errors.append(FieldError("state", _("the plan is not active")))
    if errors:
        raise IntakeError(errors)
    return EmergencyLog.objects.create(plan=plan, kind=kind, text=text.strip(), by=by, at=now)


def link(plan: EmergencyPlan, complaint: Complaint, *, by: User, now: datetime) -> None:
    _lead(by)
    with transaction.atomic():
        plan.complaints.add(complaint)
        EmergencyLog.objects.create(plan=plan, kind=EmergencyLog.Kind.ACTION, by=by, at=now,
                                    event=EmergencyLog.Event.LINKED,
                                    data={"tracking_number": complaint.tracking_number})
        events.emergency(complaint.pk, by=by, at=now, plan=plan.pk, state=plan.state, linked=True)


def close_plan(plan: EmergencyPlan, *, by: User, review: str, now: datetime) -> EmergencyPlan:
    _lead(by)
    if plan.state != State.ACTIVE:
        raise IntakeError([FieldError("state", _("only an active plan can be closed"))])
    if not review.strip():
        raise IntakeError([FieldError("closing_review", _("write the closing review"))])
    with transaction.atomic():
        _state_change(plan, to=State.CLOSED, by=by, now=now, event=EmergencyLog.Event.CLOSED, closed_at=now,
                      closing_review=review.strip())
    return plan
