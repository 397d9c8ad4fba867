"""Mass-incident early warning (R-RA-9): find groups of similar complaints rising well above their usual
rate, open one incident per group, link the complaints, and re-assess them (their impact scope becomes
high while the incident is open). Runs as a periodic task and as `tousu incidents`."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.accounts.roles import Capability, Role
from tousu.assessments.history import KEYS, matching_open_incidents
from tousu.assessments.models import Incident
from tousu.assessments.policies import active_policy
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.risk.incidents import Spike, spikes


def link_to_open_incidents(complaint: Complaint) -> None:
    for incident in matching_open_incidents(complaint):
        incident.complaints.add(complaint)


def detect(now: datetime) -> list[Incident]:
    """Open incidents for the groups that spiked; returns the incidents opened now."""
    _version, policy = active_policy()
    rules = policy.incidents
    window_start = now - timedelta(hours=rules.window_hours)
    baseline_start = window_start - timedelta(days=rules.baseline_days)
    opened = []
    for key in rules.keys:
        if key not in KEYS:
            continue
        recent = dict(Complaint.objects.filter(received_at__gte=window_start, received_at__lte=now).exclude(**{key: ""})
                      .values(key).annotate(n=Count("id")).values_list(key, "n"))
        if not recent:
            continue
        candidates = [value for value, n in recent.items() if n >= rules.min_count]
        baseline = dict(Complaint.objects.filter(received_at__gte=baseline_start, received_at__lt=window_start,
                                                 **{f"{key}__in": candidates})
                        .values(key).annotate(n=Count("id")).values_list(key, "n")) if candidates else {}
        for spike in spikes(rules, key, recent, baseline):
            incident = _open(spike, now=now, window_start=window_start)
            if incident is not None:
                opened.append(incident)
    return opened


def _open(spike: Spike, *, now: datetime, window_start: datetime) -> Incident | None:
    from tousu.assessments.actions import reassess_many
    from tousu.notify.outbox import enqueue

    existing = Incident.objects.filter(key=spike.key, value=spike.value, state=Incident.State.OPEN).first()
    members = Complaint.objects.filter(**{spike.key: spike.value}, received_at__gte=window_start)
    if existing is not None:
        existing.complaints.add(*members)  # later arrivals of a running incident
        return None
    try:
        with transaction.atomic():
            incident = Incident.objects.create(key=spike.key, value=spike.value, opened_at=now,
                                               count_at_open=spike.count, expected=round(spike.expected, 3))
            incident.complaints.add(*members)
            reassess_many([(c, "incident") for c in members.exclude(status__in=ENDED)], now=now)
            recipients = User.objects.filter(role__in=[Role.LEADER, Role.QUALITY], is_active=True)
            enqueue(key=f"incident:{incident.pk}", kind="incident", now=now, recipients=recipients,
                    subject=_("Mass-incident warning: %(count)s complaints about %(value)s in %(hours)s hours")
                    % {"count": spike.count, "value": spike.value, "hours": int((now - window_start).total_seconds() // 3600)},
                    body=_("Usually about %(expected).1f in such a window. Linked: %(numbers)s") % {
                        "expected": spike.expected,
                        "numbers": ", ".join(members.values_list("tracking_number", flat=True)[:50])})
    except IntegrityError:  # another detector opened it at the same moment
        return None
    return incident


def close_incident(incident: Incident, *, by: User, note: str, now: datetime) -> Incident:
    from tousu.assessments.actions import reassess_many

    if not (by.can(Capability.LEAD_EMERGENCY) or by.role == Role.QUALITY):
        raise AccessDenied("only quality or the emergency-team leader closes an incident")
    if incident.state != Incident.State.OPEN:
        raise IntakeError([FieldError("state", _("the incident is already closed"))])
    if not note.strip():
        raise IntakeError([FieldError("note", _("say why the incident is over"))])
    with transaction.atomic():
        if not Incident.objects.filter(pk=incident.pk, state=Incident.State.OPEN).update(
                state=Incident.State.CLOSED, closed_at=now, closed_by=by, note=note.strip()):
            raise IntakeError([FieldError("state", _("the incident is already closed"))])
        incident.state, incident.closed_at, incident.closed_by, incident.note = "closed", now, by, note.strip()
        reassess_many([(c, "incident_closed") for c in incident.complaints.exclude(status__in=ENDED)],
                      now=now, by=by)
    return incident
