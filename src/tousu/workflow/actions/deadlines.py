"""Stage clocks: started and stopped by transitions, paused while waiting for the customer, extended
once with approval, recomputed when the risk level changes (R-WF-3)."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.policies import active_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core.bulk import update_rows
from tousu.timeline import WorkCalendar
from tousu.timeline.rules import (
    DeadlinePolicy,
    Duration,
    Stage,
    due_after_resume,
    due_at,
    remaining_after_pause,
)
from tousu.workflow.machine import INTAKE_STAGES, PAUSABLE
from tousu.workflow.models import Deadline

_calendars: dict[int, tuple[DeadlinePolicy, WorkCalendar]] = {}


def rules() -> tuple[DeadlinePolicy, WorkCalendar]:
    """The active policy's limits and its calendar (built once per policy object)."""
    _version, policy = active_policy()
    cached = _calendars.get(id(policy.deadlines))
    if cached is None or cached[0] is not policy.deadlines:
        cached = (policy.deadlines, policy.deadlines.calendar.build())
        _calendars[id(policy.deadlines)] = cached
    return cached


def warn_time(start: datetime, due: datetime, limits: DeadlinePolicy) -> datetime:
    return start + (due - start) * limits.escalation.warn_at_fraction


def new_deadline(complaint_id: int, stage: Stage, start: datetime, *, level: str, emergency: bool, channel: str,
                 limits: DeadlinePolicy, calendar: WorkCalendar) -> Deadline:
    duration = limits.duration(stage, level=level or "low", emergency=emergency, channel=channel)
    due = due_at(start, duration, calendar)
    return Deadline(complaint_id=complaint_id, stage=stage.value, duration=duration.model_dump(exclude_none=True),
                    started_at=start, due_at=due, warn_at=warn_time(start, due, limits), next_escalation_at=due)


# The columns of `intake_deadline_rows`, in its order, for `insert_rows(Deadline, DEADLINE_COLUMNS, …)`.
DEADLINE_COLUMNS = ("complaint", "stage", "duration", "started_at", "due_at", "warn_at", "next_escalation_at",
                    "paused_seconds", "escalation_level", "extension_reason", "sweep_token")


def intake_deadline_rows(complaints: Iterable[tuple[int, datetime, str, bool, str]]) -> Iterator[tuple]:
    """What `new_deadline` makes for each intake stage, as rows for `insert_rows(Deadline, …)`: for
    imported complaints given as (id, received_at, level, emergency, channel); each kind of complaint's
    limit is looked up once."""
    limits, calendar = rules()
    durations: dict[tuple, tuple] = {}
    for complaint_id, received_at, level, emergency, channel in complaints:
        for stage in sorted(INTAKE_STAGES):
            kind = (stage, level, emergency, channel)
            if kind not in durations:
                duration = limits.duration(stage, level=level or "low", emergency=emergency, channel=channel)
                durations[kind] = (duration, duration.model_dump(exclude_none=True))
            duration, as_json = durations[kind]
            due = due_at(received_at, duration, calendar)
            yield (complaint_id, stage.value, as_json, received_at, due, warn_time(received_at, due, limits), due,
                   0.0, 0, "", "")


def start_stages(complaint: Complaint, stages: Iterable[Stage], *, start: datetime) -> list[Deadline]:
    limits, calendar = rules()
    open_stages = set(complaint.deadlines.filter(met_at__isnull=True).values_list("stage", flat=True))
    rows = [new_deadline(complaint.pk, stage, start, level=complaint.risk_level, emergency=complaint.emergency,
                         channel=complaint.channel, limits=limits, calendar=calendar)
            for stage in sorted(stages) if stage.value not in open_stages]
    if complaint.waiting_since is not None:
        for row in rows:
            _pause_row(row, complaint.waiting_since, calendar)
    return Deadline.objects.bulk_create(rows)


def meet_stages(complaint: Complaint, stages: Iterable[Stage], *, now: datetime) -> int:
    return complaint.deadlines.filter(stage__in=[s.value for s in stages], met_at__isnull=True).update(met_at=now)


def recompute_for_levels(complaints: Sequence[Complaint], *, now: datetime) -> int:
    """After levels (or emergency flags) changed: open clocks take the new limit from their start."""
    limits, calendar = rules()
    by_id = {complaint.pk: complaint for complaint in complaints}
    ids = list(by_id)
    changed = []
    for start in range(0, len(ids), 500):
        for deadline in Deadline.objects.filter(complaint_id__in=ids[start:start + 500], met_at__isnull=True,
                                                extended_at__isnull=True, paused_at__isnull=True):
            complaint = by_id[deadline.complaint_id]
            fresh = new_deadline(complaint.pk, Stage(deadline.stage), deadline.started_at, level=complaint.risk_level,
                                 emergency=complaint.emergency, channel=complaint.channel, limits=limits,
                                 calendar=calendar)
            if fresh.due_at == deadline.due_at:
                continue
            next_at = fresh.due_at if deadline.escalation_level == 0 else deadline.next_escalation_at
            changed.append((deadline.pk, fresh.duration, fresh.due_at, fresh.warn_at, next_at))
    return update_rows(Deadline, ("duration", "due_at", "warn_at", "next_escalation_at"), changed)


def _pause_row(deadline: Deadline, at: datetime, calendar: WorkCalendar) -> None:
    duration = Duration(**deadline.duration)
    deadline.paused_at = at
    deadline.paused_remaining = remaining_after_pause(at, deadline.due_at, duration, calendar)


def pause(complaint: Complaint, *, by: User, reason: str, now: datetime) -> None:
    """Wait for the customer: every open clock stops, keeping the time it had left."""
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not pause complaints")
    errors = []
    if complaint.status not in PAUSABLE:
        errors.append(FieldError("status", _("a complaint can wait for the customer only while it is being handled")))
    if complaint.waiting_since is not None:
        errors.append(FieldError("status", _("the complaint is already waiting for the customer")))
    if not reason.strip():
        errors.append(FieldError("reason", _("say what the customer is asked for")))
    if errors:
        raise IntakeError(errors)
    _limits, calendar = rules()
    with transaction.atomic():
        for deadline in complaint.deadlines.filter(met_at__isnull=True):
            _pause_row(deadline, now, calendar)
            deadline.save(update_fields=["paused_at", "paused_remaining"])
        complaint.waiting_since = now
        Complaint.objects.filter(pk=complaint.pk).update(waiting_since=now, updated_at=now)
        ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.PAUSED, actor=by, at=now, note=reason.strip())


def resume(complaint: Complaint, *, by: User | None, now: datetime, note: str = "") -> None:
    """The customer answered: the clocks run again with the time they had left; the pause is recorded."""
    if complaint.waiting_since is None:
        raise IntakeError([FieldError("status", _("the complaint is not waiting for the customer"))])
    limits, calendar = rules()
    paused_for = (now - complaint.waiting_since).total_seconds()
    with transaction.atomic():
        for deadline in complaint.deadlines.filter(met_at__isnull=True, paused_at__isnull=False):
            duration = Duration(**deadline.duration)
            due = due_after_resume(now, deadline.paused_remaining or 0, duration, calendar)
            deadline.paused_seconds += (now - deadline.paused_at).total_seconds()
            deadline.due_at = due
            deadline.warn_at = warn_time(now, due, limits) if deadline.warned_at is None else deadline.warn_at
            if deadline.escalation_level == 0:
                deadline.next_escalation_at = due
            deadline.paused_at = deadline.paused_remaining = None
            deadline.save(update_fields=["paused_seconds", "due_at", "warn_at", "next_escalation_at", "paused_at",
                                         "paused_remaining"])
        Complaint.objects.filter(pk=complaint.pk).update(waiting_since=None, updated_at=now)
        ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.RESUMED, actor=by, at=now, note=note,
                                      data={"since": complaint.waiting_since.isoformat(), "paused_seconds": paused_for})
        complaint.waiting_since = None


def extend(complaint: Complaint, stage: str, *, by: User, reason: str, now: datetime) -> Deadline:
    """The one extension a stage allows (e.g. investigation 5 → 10 working days), granted by an approver."""
    if not by.can(Capability.APPROVE):
        raise AccessDenied("this role may not extend deadlines")
    limits, calendar = rules()
    errors = []
    try:
        stage_enum = Stage(stage)
    except ValueError:
        raise IntakeError([FieldError("stage", _("unknown stage"))]) from None
    deadline = complaint.deadlines.filter(stage=stage, met_at__isnull=True).first()
    extension = limits.limits(stage_enum, complaint.channel).extension
    if deadline is None:
        errors.append(FieldError("stage", _("this stage has no running clock")))
    elif deadline.extended_at is not None:
        errors.append(FieldError("stage", _("this stage was already extended once")))
    elif deadline.paused_at is not None:
        errors.append(FieldError("stage", _("resume the clock before extending it")))
    if extension is None:
        errors.append(FieldError("stage", _("the policy allows no extension for this stage")))
    if not reason.strip():
        errors.append(FieldError("reason", _("an extension needs a reason")))
    if errors:
        raise IntakeError(errors)
    before = deadline.due_at
    due = due_at(deadline.started_at, extension, calendar)
    due += timedelta(seconds=deadline.paused_seconds)  # time spent waiting for the customer is not counted
    with transaction.atomic():
        deadline.due_at, deadline.extended_at, deadline.extended_by = due, now, by
        deadline.extension_reason = reason.strip()
        deadline.duration = extension.model_dump(exclude_none=True)
        deadline.warn_at = warn_time(deadline.started_at, due, limits)
        deadline.warned_at = None if deadline.warn_at > now else deadline.warned_at
        deadline.next_escalation_at = due
        deadline.escalation_level = 0
        deadline.save()
        ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.DEADLINE_EXTENDED, actor=by, at=now,
                                      note=reason.strip(), data={"stage": stage, "before": before.isoformat(),
                                                                 "after": due.isoformat()})
        _tell_customer_of_new_date(complaint, deadline, now=now)
    return deadline


def _tell_customer_of_new_date(complaint: Complaint, deadline: Deadline, *, now: datetime) -> None:
    """R-WF-3: when a case needs longer, the customer is told, with the expected date."""
    from tousu.notify.outbox import enqueue
    from tousu.timeline import SHANGHAI

    expected = deadline.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.CONTACT, at=now,
                                  note=_("The customer was told the case needs longer, expected by %(date)s")
                                  % {"date": expected},
                                  data={"channel": "email" if complaint.email else "", "direction": "outbound",
                                        "expected": expected})
    if complaint.email:
        enqueue(key=f"extended:{deadline.pk}", kind="customer_update", complaint=complaint, now=now, recipients=[],
                addresses=[complaint.email], webhooks=False,
                subject=_("Your complaint %(number)s needs more time") % {"number": complaint.tracking_number},
                body=_("We need more time to look into your complaint %(number)s. We expect to answer by "
                       "%(date)s.") % {"number": complaint.tracking_number, "date": expected})

