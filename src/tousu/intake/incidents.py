"""Mass-incident early warning (R-RA-9): every product, lot, region and cluster of similar texts is judged
against its own seasonal baseline (`tousu.risk.incidents`); spikes whose complaints overlap merge into
one incident, which links the complaints, proposes one emergency plan for all of them, re-assesses them
(their impact scope is high while it is open) and tells quality and the leaders. Runs as a periodic task
and as `tousu incidents`.

It sits with the intake pipeline, above assessments and workflow, because it does what an arrival does
to many complaints at once: links them, re-assesses them and applies what changed (clocks, plans)."""

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from itertools import combinations

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tousu.accounts.models import User
from tousu.accounts.roles import Capability, Role
from tousu.assessments.history import matching_open_incidents
from tousu.assessments.models import Incident, IncidentAttribute
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.access import AccessDenied
from tousu.complaints.choices import ENDED
from tousu.complaints.models import Complaint
from tousu.complaints.validation import FieldError, IntakeError
from tousu.core.bulk import insert_rows
from tousu.intake.consequences import reassess
from tousu.notify.outbox import enqueue
from tousu.risk.incidents import (
    ATTRIBUTE_KEYS,
    CLUSTER,
    TERM_SEPARATOR,
    IncidentPolicy,
    Recent,
    SpikeGroup,
    expectations,
    find_spikes,
    grouped,
    judge,
    lot_parents,
    matches_cluster,
    merge,
    same_windows,
    seasonal_share,
    text_clusters,
)
from tousu.workflow.actions.emergency import attach_to_plan, propose_shared_plan
from tousu.workflow.models import EmergencyPlan

# Texts clustered per run at most (the newest of the window): the similarity graph grows with its square.
CLUSTER_LIMIT = 3000
Through = Incident.complaints.through


def link_to_open_incidents(complaint: Complaint) -> list[Incident]:
    """A complaint arriving while an incident it belongs to is open joins it, and its plan."""
    linked = list(matching_open_incidents(complaint).select_related("emergency_plan"))
    for incident in linked:
        incident.complaints.add(complaint)
        events.record_many(events.incident_rows([complaint.pk], by=None, at=complaint.received_at,
                                                incident=incident.pk, action="linked"))
        plan = incident.emergency_plan
        if plan is not None and plan.state in (EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE):
            attach_to_plan(plan, [complaint], now=complaint.received_at)
    return linked



def link_many_to_open_incidents(complaints: Sequence[Complaint]) -> set[int]:
    """`link_to_open_incidents` for the complaints of an import: the open incidents and their attributes
    read once, the matches found in memory, the links, events and plan members written in bulk. Returns
    the ids of the complaints now under an incident that has a plan."""
    incidents = {i.pk: i for i in Incident.objects.filter(state=Incident.State.OPEN).select_related("emergency_plan")}
    if not incidents or not complaints:
        return set()
    by_attribute: dict[tuple[str, str], set[int]] = {}
    for pk, key, value in [*((i.pk, i.key, i.value) for i in incidents.values()),
                           *IncidentAttribute.objects.filter(incident_id__in=list(incidents))
                           .values_list("incident_id", "key", "value")]:
        by_attribute.setdefault((key, value), set()).add(pk)
    clusters = [(pk, value) for (key, value), pks in by_attribute.items() if key == CLUSTER for pk in pks]
    matches: dict[int, list[Complaint]] = {}
    for c in complaints:
        found = set()
        for key in ATTRIBUTE_KEYS:
            value = getattr(c, key, "")
            if value:
                found |= by_attribute.get((key, value), set())
        found |= {pk for pk, value in clusters if matches_cluster(value, c.text)}
        for pk in found:
            matches.setdefault(pk, []).append(c)
    covered: set[int] = set()
    for pk, members in matches.items():
        incident = incidents[pk]
        insert_rows(Through, ("incident", "complaint"), [(pk, c.pk) for c in members])
        events.record_many(row for c in members for row in events.incident_rows(
            [c.pk], by=None, at=c.received_at, incident=pk, action="linked"))
        plan = incident.emergency_plan
        if plan is not None:
            covered |= {c.pk for c in members}
            if plan.state in (EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE):
                attach_to_plan(plan, members, now=max(c.received_at for c in members))
    return covered

def season(rules: IncidentPolicy, now: datetime) -> float:
    """The share of the baseline weeks' complaints that a window like the one ending `now` usually holds."""
    window_start = now - rules.window
    total = Complaint.objects.filter(received_at__gte=window_start - rules.baseline,
                                     received_at__lt=window_start).count()
    same = Q()
    for start, end in same_windows(rules, now):
        same |= Q(received_at__gte=start, received_at__lt=end)
    return seasonal_share(rules, Complaint.objects.filter(same).count() if total else 0, total)


def cluster_condition(value: str) -> Q:
    """The database form of `matches_cluster`: most of the cluster's terms in the text."""
    terms = [t for t in value.split(TERM_SEPARATOR) if t]
    need = -(-len(terms) * 3 // 4)
    condition = Q(pk__in=[])
    for subset in combinations(terms, need):
        part = Q()
        for term in subset:
            part &= Q(text__contains=term)
        condition |= part
    return condition


def find_groups(now: datetime, rules: IncidentPolicy) -> list[SpikeGroup]:
    """The spiking groups of the window ending `now`, overlapping spikes merged."""
    window_start = now - rules.window
    baseline_start = window_start - rules.baseline
    recent_rows = list(Complaint.objects.filter(received_at__gte=window_start, received_at__lte=now)
                       .order_by("-received_at").values_list("id", "product", "lot", "region", "text"))
    if len(recent_rows) < rules.min_count:
        return []
    recent = [Recent(pk, product, lot, region, text) for pk, product, lot, region, text in recent_rows]
    share = season(rules, now)
    groups = {g: members for g, members in grouped(rules, recent).items() if len(members) >= rules.min_count}
    parents = {lot: product for lot, product in lot_parents(recent).items() if lot in groups}
    wanted = set(groups) | set(parents.values())
    baseline: dict[tuple[str, str], int] = {}
    first_seen: dict[tuple[str, str], datetime] = {}
    earlier = Complaint.objects.filter(received_at__gte=baseline_start, received_at__lt=window_start)
    for key in ATTRIBUTE_KEYS:
        values = [value for k, value in wanted if k == key]
        if values:
            baseline.update({(key, value): n for value, n in earlier.filter(**{f"{key}__in": values})
                             .values(key).annotate(n=Count("id")).values_list(key, "n")})
            first_seen.update({(key, value): at for value, at in Complaint.objects.filter(**{f"{key}__in": values})
                               .values(key).annotate(at=Min("received_at")).values_list(key, "at")})
    expected = expectations(rules, groups, baseline=baseline, share=share, window_start=window_start,
                            first_seen=first_seen, parents=parents)
    spikes = find_spikes(rules, groups, expected)
    if CLUSTER in rules.keys:
        for cluster in text_clusters(rules, [(r.id, r.text) for r in recent[:CLUSTER_LIMIT]]):
            before = earlier.filter(cluster_condition(cluster.value)).count()
            spike = judge(rules, CLUSTER, cluster.value, len(cluster.members), before * share, cluster.members)
            if spike is not None:
                spikes.append(spike)
    return merge(rules, spikes)


def detect(now: datetime) -> list[Incident]:
    """Open an incident for each new spike; a spike of a running incident adds to it. Returns the
    incidents opened now."""
    _version, policy = active_policy()
    rules = policy.incidents
    opened = []
    for group in find_groups(now, rules):
        running = _running(group, rules)
        if running is not None:
            _extend(running, group, now=now)
            continue
        incident = _open(group, now=now, rules=rules)
        if incident is not None:
            opened.append(incident)
    return opened


def _running(group: SpikeGroup, rules: IncidentPolicy) -> Incident | None:
    """The open incident this spike belongs to: one sharing an attribute, or most of its complaints."""
    shared = Q(pk__in=[])
    for key, value in group.attributes:
        shared |= Q(key=key, value=value)
    by_attribute = (IncidentAttribute.objects.filter(shared, incident__state=Incident.State.OPEN)
                    .values_list("incident_id", flat=True).first())
    if by_attribute is not None:
        return Incident.objects.get(pk=by_attribute)
    overlap = Counter(Through.objects.filter(complaint_id__in=group.members, incident__state=Incident.State.OPEN)
                      .values_list("incident_id", flat=True))
    if overlap:
        pk, n = overlap.most_common(1)[0]
        if n >= rules.merge_overlap * len(group.members):
            return Incident.objects.get(pk=pk)
    return None


def _attribute_rows(incident: Incident, group: SpikeGroup) -> list[IncidentAttribute]:
    return [IncidentAttribute(incident=incident, key=s.key, value=s.value[:200], count=s.count,
                              expected=round(s.expected, 3), p_value=s.p_value) for s in group.spikes]


def _extend(incident: Incident, group: SpikeGroup, *, now: datetime) -> None:
    """Later arrivals (and newly spiking attributes) of a running incident."""
    with transaction.atomic():
        known = set(incident.complaints.values_list("id", flat=True))
        new = list(Complaint.objects.filter(pk__in=group.members - known))
        incident.complaints.add(*new)
        events.record_many(events.incident_rows([c.pk for c in new], by=None, at=now, incident=incident.pk,
                                                action="linked"))
        IncidentAttribute.objects.bulk_create(_attribute_rows(incident, group), ignore_conflicts=True)
        plan = incident.emergency_plan
        open_new = [c for c in new if c.status not in ENDED]
        if plan is not None and plan.state in (EmergencyPlan.State.PROPOSED, EmergencyPlan.State.ACTIVE):
            attach_to_plan(plan, open_new, now=now)
        reassess([(c, "incident") for c in open_new], now=now)


def _open(group: SpikeGroup, *, now: datetime, rules: IncidentPolicy) -> Incident | None:
    primary = group.primary
    members = list(Complaint.objects.filter(pk__in=group.members).order_by("received_at", "id"))
    open_members = [c for c in members if c.status not in ENDED]
    described = describe(group)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(key=primary.key, value=primary.value[:200], opened_at=now,
                                               count_at_open=len(members), expected=round(primary.expected, 3),
                                               p_value=primary.p_value)
            IncidentAttribute.objects.bulk_create(_attribute_rows(incident, group))
            incident.complaints.add(*members)
            events.record_many(events.incident_rows([c.pk for c in members], by=None, at=now, incident=incident.pk,
                                                    action="opened"))
            body = _("%(count)s complaints in %(hours)s hours where about %(expected).1f are usual (%(attributes)s). "
                     "Linked: %(numbers)s") % {
                "count": len(members), "hours": rules.window_hours, "expected": primary.expected,
                "attributes": described, "numbers": ", ".join(c.tracking_number for c in members[:50])}
            if open_members:
                incident.emergency_plan = propose_shared_plan(
                    open_members, now=now, reason=body,
                    title=_("Mass incident: %(attributes)s") % {"attributes": described})
                incident.save(update_fields=["emergency_plan"])
            # The plan covers them: the re-assessment's emergency flags propose no plan of their own.
            reassess([(c, "incident") for c in open_members], now=now)
            recipients = User.objects.filter(role__in=[Role.LEADER, Role.QUALITY], is_active=True)
            enqueue(key=f"incident:{incident.pk}", kind="incident", now=now, recipients=recipients,
                    subject=_("Mass-incident warning: %(count)s complaints about %(value)s in %(hours)s hours")
                    % {"count": len(members), "value": described, "hours": rules.window_hours},
                    body=body)
    except IntegrityError:  # another detector opened it at the same moment
        return None
    return incident


KEY_LABELS = {"product": gettext_lazy("product"), "lot": gettext_lazy("lot"), "region": gettext_lazy("region"),
              CLUSTER: gettext_lazy("similar texts")}


def describe(group: SpikeGroup | Sequence[tuple[str, str]]) -> str:
    """The shared attributes in the reader's words, e.g. "产品 智能门锁 X3；地区 杭州"."""
    attributes = group.attributes if isinstance(group, SpikeGroup) else group
    return _("; ").join(f"{KEY_LABELS.get(key, key)} {value.replace(TERM_SEPARATOR, '·')}" for key, value in attributes)


def close_incident(incident: Incident, *, by: User, note: str, now: datetime) -> Incident:
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
        events.record_many(events.incident_rows(incident.complaints.values_list("id", flat=True), by=by, at=now,
                                                incident=incident.pk, action="closed", note=note.strip()))
        reassess([(c, "incident_closed") for c in incident.complaints.exclude(status__in=ENDED)], now=now, by=by)
    return incident
