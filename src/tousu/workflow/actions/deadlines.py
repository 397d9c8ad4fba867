"""Stage clocks: started and stopped by transitions (and the optional clocks a policy switches on
alongside them), paused while waiting for the customer or while appraisal time is excluded, extended once
with approval and a second time where the policy lets a given role, recomputed when the risk level changes
(R-WF-3)."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core.bulk import update_rows
from tousu.notify.outbox import enqueue
from tousu.risk import Policy
from tousu.timeline import SHANGHAI, WorkCalendar
from tousu.timeline.rules import (
    DeadlinePolicy,
    Duration,
    Stage,
    due_after_resume,
    due_at,
    remaining_after_pause,
)
from tousu.workflow.machine import INTAKE_STAGES, PAUSABLE
from tousu.workflow.models import ClockPause, Deadline, PauseKind

_calendars: dict[int, tuple[DeadlinePolicy, WorkCalendar]] = {}


def rules() -> tuple[DeadlinePolicy, WorkCalendar]:
    """The active policy's limits and its calendar (built once per policy object)."""
    _version, policy = active_policy()
    return rules_of(policy)


def rules_of(policy: Policy) -> tuple[DeadlinePolicy, WorkCalendar]:
    """A policy's limits and its calendar (built once per policy object); reads no database."""
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
                    started_at=start, due_at=due, warn_at=warn_time(start, due, limits), next_escalation_at=due,
                    source=limits.limits(stage, channel).source)


# The columns of `intake_deadline_rows`, in its order, for `insert_rows(Deadline, DEADLINE_COLUMNS, …)`.
# Every NOT NULL column without a database default is listed: a bulk insert names them all.
DEADLINE_COLUMNS = ("complaint", "stage", "duration", "started_at", "due_at", "warn_at", "next_escalation_at",
                    "paused_seconds", "excluded_seconds", "escalation_level", "extension_reason", "sweep_token",
                    "source", "pause_kind", "outcome", "second_extension_reason")


def intake_deadline_rows(complaints: Iterable[tuple[int, datetime, str, bool, str, str]],
                         policy: Policy | None = None) -> Iterator[tuple]:
    """What `start_stages(complaint, INTAKE_STAGES, start=received_at)` makes for each new complaint, as
    rows for `insert_rows(Deadline, …)`, for complaints given as (id, received_at, level, emergency, channel,
    demand); each kind of complaint's limit is looked up once. `policy`: the one the complaints were
    assessed with (default: the active one)."""
    limits, calendar = rules() if policy is None else rules_of(policy)
    durations: dict[tuple, tuple] = {}
    stages_of: dict[tuple[str, str], list[Stage]] = {}
    for complaint_id, received_at, level, emergency, channel, demand in complaints:
        if (channel, demand) not in stages_of:
            stages_of[(channel, demand)] = sorted(
                INTAKE_STAGES | limits.started_with(INTAKE_STAGES, channel=channel, demand=demand))
        for stage in stages_of[(channel, demand)]:
            kind = (stage, level, emergency, channel)
            if kind not in durations:
                duration = limits.duration(stage, level=level or "low", emergency=emergency, channel=channel)
                durations[kind] = (duration, duration.model_dump(exclude_none=True))
            duration, as_json = durations[kind]
            due = due_at(received_at, duration, calendar)
            yield (complaint_id, stage.value, as_json, received_at, due, warn_time(received_at, due, limits), due,
                   0.0, 0.0, 0, "", "", limits.limits(stage, channel).source, "", "", "")


def start_stages(complaint: Complaint, stages: Iterable[Stage], *, start: datetime) -> list[Deadline]:
    """Start these stages' clocks, and the optional clocks the policy starts with them."""
    limits, calendar = rules()
    stages = set(stages)
    stages |= limits.started_with(stages, channel=complaint.channel, demand=complaint.demand)
    open_stages = set(complaint.deadlines.filter(met_at__isnull=True).values_list("stage", flat=True))
    rows = [new_deadline(complaint.pk, stage, start, level=complaint.risk_level, emergency=complaint.emergency,
                         channel=complaint.channel, limits=limits, calendar=calendar)
            for stage in sorted(stages) if stage.value not in open_stages]
    stopped = open_pause(complaint)
    if stopped is not None:
        for row in rows:
            _pause_row(row, max(start, stopped.started_at), calendar, stopped.kind)
    return Deadline.objects.bulk_create(rows)


def meet_stages(complaint: Complaint, stages: Iterable[Stage], *, now: datetime) -> int:
    """Meet these stages' clocks and the optional ones met with them; start the optional clocks that
    follow them. Moving the complaint out of the states one pauses in ends excluded time first."""
    limits, _calendar = rules()
    stages = set(stages)
    if complaint.status not in PAUSABLE:
        stopped = open_pause(complaint)
        if stopped is not None and stopped.kind == PauseKind.APPRAISAL:
            end_exclusion(complaint, by=None, now=now, note=_("ended by the next step"))
    met = stages | limits.met_with(stages, channel=complaint.channel)
    done = complaint.deadlines.filter(stage__in=[s.value for s in met], met_at__isnull=True).update(met_at=now)
    following = limits.started_after(stages, channel=complaint.channel, demand=complaint.demand)
    if following:
        start_stages(complaint, following, start=now)
    return done


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
            if limits.defined(Stage(deadline.stage), complaint.channel) is None:
                continue  # an optional clock the policy in force no longer runs keeps its limit
            fresh = new_deadline(complaint.pk, Stage(deadline.stage), deadline.started_at, level=complaint.risk_level,
                                 emergency=complaint.emergency, channel=complaint.channel, limits=limits,
                                 calendar=calendar)
            if fresh.due_at == deadline.due_at:
                continue
            next_at = fresh.due_at if deadline.escalation_level == 0 else deadline.next_escalation_at
            changed.append((deadline.pk, fresh.duration, fresh.due_at, fresh.warn_at, next_at))
    return update_rows(Deadline, ("duration", "due_at", "warn_at", "next_escalation_at"), changed)


def _pause_row(deadline: Deadline, at: datetime, calendar: WorkCalendar, kind: str = PauseKind.CUSTOMER) -> None:
    duration = Duration(**deadline.duration)
    deadline.paused_at = at
    deadline.pause_kind = kind
    deadline.paused_remaining = remaining_after_pause(at, deadline.due_at, duration, calendar)


def open_pause(complaint: Complaint) -> ClockPause | None:
    """The complaint's clocks' current stop, if any: waiting for the customer or excluded time."""
    stopped = complaint.clock_pauses.filter(ended_at__isnull=True).first()
    if stopped is None and complaint.waiting_since is not None:
        # Waits begun before pauses were recorded.
        return ClockPause(complaint=complaint, kind=PauseKind.CUSTOMER, started_at=complaint.waiting_since)
    return stopped


def _stop_clocks(complaint: Complaint, *, kind: str, by: User, reason: str, now: datetime) -> None:
    _limits, calendar = rules()
    for deadline in complaint.deadlines.filter(met_at__isnull=True, paused_at__isnull=True):
        _pause_row(deadline, now, calendar, kind)
        deadline.save(update_fields=["paused_at", "paused_remaining", "pause_kind"])
    ClockPause.objects.create(complaint=complaint, kind=kind, reason=reason, started_at=now, started_by=by)


def _restart_clocks(complaint: Complaint, *, by: User | None, now: datetime) -> None:
    """The stopped clocks run again with the time they had left; the stop counts as paused (waiting) or
    excluded (appraisal) time."""
    limits, calendar = rules()
    for deadline in complaint.deadlines.filter(met_at__isnull=True, paused_at__isnull=False):
        duration = Duration(**deadline.duration)
        due = due_after_resume(now, deadline.paused_remaining or 0, duration, calendar)
        stopped = (now - deadline.paused_at).total_seconds()
        if deadline.pause_kind == PauseKind.APPRAISAL:
            deadline.excluded_seconds += stopped
        else:
            deadline.paused_seconds += stopped
        deadline.due_at = due
        deadline.warn_at = warn_time(now, due, limits) if deadline.warned_at is None else deadline.warn_at
        if deadline.escalation_level == 0:
            deadline.next_escalation_at = due
        deadline.paused_at = deadline.paused_remaining = None
        deadline.pause_kind = ""
        deadline.save(update_fields=["paused_seconds", "excluded_seconds", "due_at", "warn_at", "next_escalation_at",
                                     "paused_at", "paused_remaining", "pause_kind"])
    complaint.clock_pauses.filter(ended_at__isnull=True).update(ended_at=now, ended_by=by)


def _pausable(complaint: Complaint, reason: str, *, asked: str) -> list[FieldError]:
    errors = []
    if complaint.status not in PAUSABLE:
        errors.append(FieldError("status", _("the clocks can stop only while the complaint is being handled")))
    stopped = open_pause(complaint)
    if stopped is not None:
        errors.append(FieldError("status", _("the complaint is already waiting for the customer")
                                 if stopped.kind == PauseKind.CUSTOMER
                                 else _("appraisal time is already being excluded")))
    if not reason.strip():
        errors.append(FieldError("reason", asked))
    return errors


def pause(complaint: Complaint, *, by: User, reason: str, now: datetime) -> None:
    """Wait for the customer: every open clock stops, keeping the time it had left."""
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not pause complaints")
    errors = _pausable(complaint, reason, asked=_("say what the customer is asked for"))
    if errors:
        raise IntakeError(errors)
    with transaction.atomic():
        _stop_clocks(complaint, kind=PauseKind.CUSTOMER, by=by, reason=reason.strip(), now=now)
        complaint.waiting_since = now
        Complaint.objects.filter(pk=complaint.pk).update(waiting_since=now, updated_at=now)
        events.paused(complaint.pk, by=by, at=now, reason=reason.strip())


def resume(complaint: Complaint, *, by: User | None, now: datetime, note: str = "") -> None:
    """The customer answered: the clocks run again with the time they had left; the pause is recorded."""
    if complaint.waiting_since is None:
        raise IntakeError([FieldError("status", _("the complaint is not waiting for the customer"))])
    paused_for = (now - complaint.waiting_since).total_seconds()
    with transaction.atomic():
        _restart_clocks(complaint, by=by, now=now)
        Complaint.objects.filter(pk=complaint.pk).update(waiting_since=None, updated_at=now)
        events.resumed(complaint.pk, by=by, at=now, note=note, since=complaint.waiting_since, paused_seconds=paused_for)
        complaint.waiting_since = None


def exclude_time(complaint: Complaint, *, by: User, reason: str, now: datetime) -> ClockPause:
    """Appraisal, testing or assessment (鉴定、检测、评估) begins: the clocks stop, and this time is not
    counted toward any limit. The customer is told, by the outbox where there is an address."""
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not stop the clocks")
    limits, _calendar = rules()
    errors = _pausable(complaint, reason, asked=_("say what is appraised, tested or assessed"))
    if "appraisal" not in limits.excluded_time:
        errors.append(FieldError("kind", _("the policy excludes no appraisal time from its limits")))
    if errors:
        raise IntakeError(errors)
    with transaction.atomic():
        _stop_clocks(complaint, kind=PauseKind.APPRAISAL, by=by, reason=reason.strip(), now=now)
        Complaint.objects.filter(pk=complaint.pk).update(updated_at=now)
        stopped = complaint.clock_pauses.get(ended_at__isnull=True)
        source = limits.excluded_time["appraisal"].source
        events.paused(complaint.pk, by=by, at=now, reason=reason.strip(), kind=PauseKind.APPRAISAL, source=source)
        _tell_customer(complaint, key=f"appraisal:{stopped.pk}", now=now,
                       note=_("The customer was told that appraisal time is not counted toward the time limit"),
                       subject=_("Your complaint %(number)s: appraisal under way")
                       % {"number": complaint.tracking_number},
                       body=_("Your complaint %(number)s needs an appraisal, test or assessment (%(reason)s). The "
                              "time it takes is not counted toward the handling time limit (%(source)s); we "
                              "will tell you when it is done.")
                       % {"number": complaint.tracking_number, "reason": reason.strip(), "source": source},
                       data={"excluded": PauseKind.APPRAISAL})
    return stopped


def end_exclusion(complaint: Complaint, *, by: User | None, now: datetime, note: str = "") -> ClockPause:
    """The appraisal is done: the clocks run again with the time they had left; the time it took is
    shown as excluded on every clock it stopped."""
    stopped = complaint.clock_pauses.filter(ended_at__isnull=True, kind=PauseKind.APPRAISAL).first()
    if stopped is None:
        raise IntakeError([FieldError("status", _("no appraisal time is being excluded"))])
    with transaction.atomic():
        _restart_clocks(complaint, by=by, now=now)
        Complaint.objects.filter(pk=complaint.pk).update(updated_at=now)
        excluded = (now - stopped.started_at).total_seconds()
        events.resumed(complaint.pk, by=by, at=now, note=note, since=stopped.started_at, kind=PauseKind.APPRAISAL,
                       excluded_seconds=excluded)
    stopped.refresh_from_db()
    return stopped


def extend(complaint: Complaint, stage: str, *, by: User, reason: str, now: datetime) -> Deadline:
    """The extension a stage allows (e.g. investigation 5 → 10 working days), granted by an approver; where
    the policy has a second one (banking: 30 more days for especially complex cases), only its role (a
    head-office senior manager: `leader`) grants it, again with a reason. The customer is told each time."""
    if not by.can(Capability.APPROVE):
        raise AccessDenied("this role may not extend deadlines")
    limits, calendar = rules()
    errors = []
    try:
        stage_enum = Stage(stage)
    except ValueError:
        raise IntakeError([FieldError("stage", _("unknown stage"))]) from None
    deadline = complaint.deadlines.filter(stage=stage, met_at__isnull=True).first()
    stage_limits = limits.defined(stage_enum, complaint.channel)
    extension = stage_limits.extension if stage_limits else None
    second = deadline is not None and deadline.extended_at is not None
    if second:
        extension = stage_limits.second_extension if stage_limits else None
    if deadline is None:
        errors.append(FieldError("stage", _("this stage has no running clock")))
    elif second and deadline.second_extended_at is not None:
        errors.append(FieldError("stage", _("this stage was already extended twice")))
    elif second and extension is None:
        errors.append(FieldError("stage", _("this stage was already extended once")))
    elif deadline.paused_at is not None:
        errors.append(FieldError("stage", _("resume the clock before extending it")))
    if not second and extension is None:
        errors.append(FieldError("stage", _("the policy allows no extension for this stage")))
    if not reason.strip():
        errors.append(FieldError("reason", _("an extension needs a reason")))
    if errors:
        raise IntakeError(errors)
    if second and by.role != stage_limits.second_extension_role:
        raise AccessDenied(f"a second extension needs the approval of a {stage_limits.second_extension_role}")
    before = deadline.due_at
    due = due_at(deadline.started_at, extension, calendar)
    # Time spent waiting for the customer and excluded appraisal time are not counted.
    due += timedelta(seconds=deadline.paused_seconds + deadline.excluded_seconds)
    with transaction.atomic():
        if second:
            deadline.second_extended_at, deadline.second_extended_by = now, by
            deadline.second_extension_reason = reason.strip()
        else:
            deadline.extended_at, deadline.extended_by = now, by
            deadline.extension_reason = reason.strip()
        deadline.due_at = due
        deadline.duration = extension.model_dump(exclude_none=True)
        deadline.warn_at = warn_time(deadline.started_at, due, limits)
        deadline.warned_at = None if deadline.warn_at > now else deadline.warned_at
        deadline.next_escalation_at = due
        deadline.escalation_level = 0
        deadline.save()
        events.deadline_extended(complaint.pk, by=by, at=now, reason=reason.strip(), stage=stage, before=before,
                                 after=due, second=second)
        tell_expected_date(complaint, deadline.due_at, now=now, key=f"extended:{deadline.pk}" + (":2" if second else ""))
    return deadline


def tell_expected_date(complaint: Complaint, expected_at: datetime, *, now: datetime, key: str,
                       by: User | None = None) -> None:
    """R-WF-3: when a case needs longer, the customer is told, with the expected date; that meets the
    delay-notice clock where the policy runs one."""
    expected = expected_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
    _tell_customer(complaint, key=key, now=now, by=by,
                   note=_("The customer was told the case needs longer, expected by %(date)s") % {"date": expected},
                   subject=_("Your complaint %(number)s needs more time") % {"number": complaint.tracking_number},
                   body=_("We need more time to look into your complaint %(number)s. We expect to answer by "
                          "%(date)s.") % {"number": complaint.tracking_number, "date": expected},
                   data={"expected": expected})
    complaint.deadlines.filter(stage=Stage.DELAY_NOTICE.value, met_at__isnull=True).update(met_at=now)


def _tell_customer(complaint: Complaint, *, key: str, now: datetime, note: str, subject: str, body: str, data: dict,
                   by: User | None = None) -> None:
    """A contact with the customer in the history, and an email through the outbox where there is an
    address (the public progress page shows the rest)."""
    events.contact(complaint.pk, by=by, at=now, note=note, channel="email" if complaint.email else "", **data)
    if complaint.email:
        enqueue(key=key, kind="customer_update", complaint=complaint, now=now, recipients=[],
                addresses=[complaint.email], webhooks=False, subject=subject, body=body)



_STAGES = frozenset(stage.value for stage in Stage)


def clock_source(deadline: Deadline) -> str:
    """The clause a clock's limit comes from: stored when it started; for clocks started before that
    (or by an import), the policy in force."""
    if deadline.source:
        return deadline.source
    limits, _calendar = rules()
    found = limits.defined(Stage(deadline.stage), deadline.complaint.channel) if deadline.stage in _STAGES else None
    return found.source if found is not None else ""


def annotate_clocks(clocks: Sequence[Deadline], complaint: Complaint, user: User, now: datetime) -> None:
    """What the handling card shows of each clock: overdue, whether this user may extend it (again), its
    rule, the time excluded."""
    limits, _calendar = rules()
    for clock in clocks:
        clock.complaint = complaint
        clock.overdue = clock.is_overdue(now)
        found = limits.defined(Stage(clock.stage), complaint.channel) if clock.stage in _STAGES else None
        clock.rule = clock.source or (found.source if found else "")
        clock.excluded_days = round(clock.excluded_seconds / 86400, 1)
        open_clock = clock.met_at is None and found is not None and user.can(Capability.APPROVE)
        clock.extendable = open_clock and (
            (clock.extended_at is None and found.extension is not None)
            or (clock.extended_at is not None and clock.second_extended_at is None
                and found.second_extension is not None and user.role == found.second_extension_role))
