"""Clock steps of their own (R-WF-3): telling the customer the expected date when a case needs longer,
the follow-ups after completion, the market regulator's mediation and its end, and the time bar on
harm known too long ago."""

from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.timeline import SHANGHAI
from tousu.timeline.rules import Stage, time_barred
from tousu.workflow.actions.deadlines import _tell_customer, rules, start_stages, tell_expected_date
from tousu.workflow.models import Deadline, Outcome, TimeBarCheck

FOLLOW_UPS = (Stage.FIRST_FOLLOW_UP, Stage.SECOND_FOLLOW_UP)


def _handler(by: User) -> None:
    if not by.can(Capability.HANDLE):
        raise AccessDenied("this role may not handle complaints")


def notify_expected_date(complaint: Complaint, *, by: User, expected: date | None, now: datetime) -> None:
    """The case needs longer: the customer is told when to expect the answer (meets the delay-notice
    clock; seed 001 4.1.5 and 电信用户申诉处理办法: within 5 working days)."""
    _handler(by)
    today = now.astimezone(SHANGHAI).date()
    if expected is None:
        raise IntakeError([FieldError("expected", _("give the expected completion date"))])
    if expected <= today:
        raise IntakeError([FieldError("expected", _("the expected date must lie after today"))])
    with transaction.atomic():
        moment = datetime(expected.year, expected.month, expected.day, tzinfo=SHANGHAI)
        tell_expected_date(complaint, moment, now=now, by=by, key=f"expected:{complaint.pk}:{expected.isoformat()}")
        Complaint.objects.filter(pk=complaint.pk).update(updated_at=now)


def record_follow_up(complaint: Complaint, *, by: User, note: str, now: datetime) -> Deadline:
    """A follow-up call after completion (seed 002: the first within 24 hours, the second within 72):
    meets the first follow-up clock still running."""
    _handler(by)
    errors = []
    if not note.strip():
        errors.append(FieldError("note", _("say what the customer said")))
    clock = (complaint.deadlines.filter(stage__in=[s.value for s in FOLLOW_UPS], met_at__isnull=True)
             .order_by("due_at", "id").first())
    if clock is None:
        errors.append(FieldError("stage", _("no follow-up clock is running")))
    if errors:
        raise IntakeError(errors)
    with transaction.atomic():
        Deadline.objects.filter(pk=clock.pk).update(met_at=now)
        events.contact(complaint.pk, by=by, at=now, note=note.strip(), channel="", follow_up=clock.stage)
    clock.met_at = now
    return clock


def end_mediation(complaint: Complaint, *, by: User | None, agreed: bool, now: datetime, note: str = "") -> Deadline:
    """Mediation ends: with an agreement, or without one (by a person, or by the sweep when the limit
    passed: Art. 21, 45 working days of acceptance). Without one, the notice clock starts: both parties
    are told within its limit (7 working days)."""
    if by is not None:
        _handler(by)
    clock = complaint.deadlines.filter(stage=Stage.MEDIATION.value, met_at__isnull=True).first()
    if clock is None:
        raise IntakeError([FieldError("stage", _("no mediation is running"))])
    if clock.paused_at is not None:
        raise IntakeError([FieldError("stage", _("resume the clock before ending the mediation"))])
    lapsed = by is None and not agreed
    outcome = Outcome.AGREED if agreed else Outcome.LAPSED if lapsed else Outcome.ENDED
    ended_at = min(now, clock.due_at) if lapsed else now
    with transaction.atomic():
        if not Deadline.objects.filter(pk=clock.pk, met_at__isnull=True).update(met_at=ended_at, outcome=outcome):
            raise IntakeError([FieldError("stage", _("the mediation was ended meanwhile"))])
        events.mediation_ended(complaint.pk, by=by, at=now, note=note.strip(), outcome=outcome, ended_at=ended_at)
        if not agreed:
            start_stages(complaint, {Stage.MEDIATION_NOTICE}, start=ended_at)
    clock.met_at, clock.outcome = ended_at, outcome
    return clock


def tell_parties_mediation_ended(complaint: Complaint, *, by: User, note: str, now: datetime) -> None:
    """Both parties told that mediation ended without agreement: the customer (by the outbox where there
    is an address) and the company's side, recorded; meets the notice clock."""
    _handler(by)
    clock = complaint.deadlines.filter(stage=Stage.MEDIATION_NOTICE.value, met_at__isnull=True).first()
    if clock is None:
        raise IntakeError([FieldError("stage", _("no mediation ended without agreement"))])
    with transaction.atomic():
        _tell_customer(complaint, key=f"mediation-ended:{clock.pk}", now=now, by=by,
                       note=note.strip() or _("Both parties were told that mediation ended without agreement"),
                       subject=_("Your complaint %(number)s: mediation ended") % {"number": complaint.tracking_number},
                       body=_("No agreement was reached on your complaint %(number)s within the mediation period, "
                              "so the mediation has ended.") % {"number": complaint.tracking_number},
                       data={"mediation_notice": True})
        Deadline.objects.filter(pk=clock.pk).update(met_at=now)


def end_lapsed_mediations(now: datetime) -> int:
    """For the sweep: every running mediation past its limit ends without agreement, at its due time."""
    ended = 0
    for clock in Deadline.objects.filter(stage=Stage.MEDIATION.value, met_at__isnull=True, paused_at__isnull=True,
                                         due_at__lte=now).select_related("complaint")[:500]:
        try:
            end_mediation(clock.complaint, by=None, agreed=False, now=now)
        except IntakeError:
            continue  # ended by a person meanwhile
        ended += 1
    return ended


def check_time_bar(complaint: Complaint, *, by: User, harm_known_on: date | None, now: datetime) -> TimeBarCheck:
    """When the customer knew of the harm; flags the complaint as not acceptable when the policy's time
    bar had run out by its receipt (market regulator Art. 15: more than three years)."""
    _handler(by)
    limits, calendar = rules()
    bar = limits.time_bar
    errors = []
    if bar is None or not bar.applies_to(complaint.channel):
        errors.append(FieldError("harm_known_on", _("the policy sets no time bar for this channel")))
    if harm_known_on is None:
        errors.append(FieldError("harm_known_on", _("give the date the customer knew of the harm")))
    elif harm_known_on > complaint.received_at.astimezone(SHANGHAI).date():
        errors.append(FieldError("harm_known_on", _("the harm cannot be known after the complaint was received")))
    if errors:
        raise IntakeError(errors)
    barred = time_barred(harm_known_on, complaint.received_at, bar.limit, calendar)
    with transaction.atomic():
        check, _created = TimeBarCheck.objects.update_or_create(complaint=complaint, defaults={
            "harm_known_on": harm_known_on, "barred": barred, "limit": bar.limit.model_dump(exclude_none=True),
            "source": bar.source, "checked_by": by, "checked_at": now})
        events.time_bar_checked(complaint.pk, by=by, at=now, harm_known_on=harm_known_on, time_barred=barred,
                                source=bar.source)
    return check
