"""The one pipeline a complaint comes in by, whatever path it arrived on (API, entry form, public page,
email, demo data, imports). One flat sequence:

    validate → first owner → store with its event → assess → link open incidents → merge a repeat or start
    the clocks → propose an emergency → re-assess the neighbours (and apply what changed) → reopen the
    same matter

`record_complaint` runs it for one complaint, `record_batch` runs the same steps in bulk for an import;
a test holds the two to the same results. Everything runs in one transaction: once a tracking number has
been shown, the complaint is committed with its assessment and clocks.

Incidents are linked before the emergency step so that a complaint joining an incident's plan does not
get a plan of its own.
"""

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.assessments.actions import (
    ASSESSMENT_COLUMNS,
    RISK_FIELDS,
    assessment_values,
    facts_of,
    reassess_many,
    reassess_related,
    risk_values,
)
from tousu.assessments.history import history_for, open_incident_attributes
from tousu.assessments.learning import assess_with_model, suggestions_for
from tousu.assessments.models import PolicyVersion, RiskAssessment
from tousu.assessments.policies import active_policy
from tousu.complaints import events
from tousu.complaints.actions.attachments import add_attachment
from tousu.complaints.choices import Source, Status
from tousu.complaints.models import Complaint
from tousu.complaints.validation import IntakeData
from tousu.core.bulk import insert_rows, inserts_behind, reserve_ids
from tousu.intake import assessing, consequences
from tousu.intake.assessing import Assessments, Workers
from tousu.intake.batch_history import BatchHistory, Remembered
from tousu.intake.incidents import link_many_to_open_incidents, link_to_open_incidents
from tousu.intake.store import (
    RECORD_FIELDS,
    as_stored,
    channel_duties,
    first_assignment,
    import_key_for,
    insert_one,
    new_complaint,
    stored_keys,
    unused_tracking_numbers,
)
from tousu.risk import Policy
from tousu.risk.assess import problem_key
from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS, intake_deadline_rows
from tousu.workflow.actions.emergency import propose_emergencies
from tousu.workflow.actions.repeats import (
    link_repeat,
    reopen_candidates,
    reopen_same_matter,
    repeat_candidates,
)
from tousu.workflow.models import Deadline


def record_complaint(data: IntakeData, *, by: User | None, source: str, now: datetime,
                     attachments: Sequence[UploadedFile] = (), import_key: str | None = None) -> Complaint | None:
    """Record one validated complaint. Returns None only for an `import_key` stored already."""
    version, rules = policy = active_policy()
    assignment = first_assignment(by, data.channel)
    # The learned model reads only the text: asked before the write transaction, which SQLite serialises.
    suggestion = suggestions_for([data.text])[0]
    with transaction.atomic():
        complaint = new_complaint(data, assignment=assignment, by=by, source=source, now=now, import_key=import_key)
        # Assessed as it arrives (the world as it was at its receipt), and stored with its risk: no complaint
        # is ever shown without it.
        result = assess_with_model(facts_of(complaint), history_for(complaint, rules, until=complaint.received_at),
                                   rules, suggestion)
        values = risk_values(result, suggestion=suggestion)
        for name, value in values.items():
            setattr(complaint, name, value)
        if not insert_one(complaint, now):
            return None
        events.record_many([
            events.recorded_row(complaint.pk, by=by, at=now, source=source, channel=complaint.channel,
                                owner=complaint.owner_id, department=complaint.department_id),
            events.assessed_row(complaint.pk, by=by, at=now, data=_assessed(version, values, result))])
        insert_rows(RiskAssessment, ASSESSMENT_COLUMNS, [assessment_values(
            complaint.pk, version, result, trigger="intake", now=now, suggestion=suggestion)])
        covered = _after_storing(complaint, now=now)
        if complaint.emergency and not covered:
            propose_emergencies([complaint], now=now)
        done = reassess_related(complaint, now=now, by=by, policy=policy)
        consequences.apply(done.changes, now=now)
        reopen_same_matter(complaint, now=now)
        for upload in attachments:
            add_attachment(complaint, upload, by=by, now=now)
    return complaint


def _assessed(version: PolicyVersion, values: dict, result) -> dict:
    """The data of a new complaint's "assessed" event."""
    return {"trigger": "intake", "policy": f"{version.name} {version.version}", "before": _UNASSESSED,
            "after": values, "factors": list(result.factors)}


def _after_storing(complaint: Complaint, *, now: datetime) -> bool:
    """Link open incidents, then merge a repeat or start the clocks. True when an incident's plan now
    covers the complaint."""
    linked = link_to_open_incidents(complaint)
    _merge_or_start_clocks(complaint, now=now)
    return any(incident.emergency_plan_id for incident in linked)


def _merge_or_start_clocks(complaint: Complaint, *, now: datetime) -> None:
    repeat = link_repeat(complaint, now=now)
    if repeat is None or not repeat.merged:  # a merged repeat runs on the first complaint's clocks
        _start_clocks([complaint])


def _start_clocks(complaints: Sequence[Complaint]) -> None:
    """The intake stages' clocks (and the optional ones the policy starts with them) of new complaints,
    from their receipt: one INSERT, nothing to look up for a complaint that has no clock yet."""
    insert_rows(Deadline, DEADLINE_COLUMNS, intake_deadline_rows(
        (c.pk, c.received_at, c.risk_level, c.emergency, c.channel, c.demand) for c in complaints))


@dataclass
class BatchResult:
    tracking_numbers: list[str] = field(default_factory=list)
    duplicates: int = 0
    ahead: "Prepared | None" = None  # the next batch, made ready while this one was stored (`record_batch`)

    @property
    def created(self) -> int:
        return len(self.tracking_numbers)


@dataclass(frozen=True)
class BatchItem:
    data: IntakeData
    row: int


@dataclass
class Prepared:
    """A batch's new rows made ready to store: their histories worked out in order of receipt and their
    assessments sent to the workers (`_prepare`). Made ahead, while the batch before is stored, it holds
    only as long as the import's remembered history does (`generation`)."""

    fresh: list[tuple[str | None, BatchItem]]
    duplicates: int
    policy: tuple[PolicyVersion, Policy]
    histories: BatchHistory
    assessments: Assessments
    generation: int | None = None


_BATCH_COLUMNS = ("id", *RECORD_FIELDS, "received_at", "tracking_number", "owner", "first_owner", "department",
                  "source", "recorded_by", "import_key", "status", "created_at", "updated_at", *RISK_FIELDS)
_INSERT_CHUNK = assessing.CHUNK  # complaint rows inserted at a time while the rest are assessed
# A new complaint's risk fields before its first assessment, as its "assessed" event records them.
_UNASSESSED = {name: Complaint._meta.get_field(name).get_default() for name in RISK_FIELDS}


def record_batch(items: Sequence[BatchItem], *, by: User | None, now: datetime, origin: str,
                 source: str = Source.IMPORT, workers: Workers | None = None,
                 remembered: Remembered | None = None, prepared: Prepared | None = None,
                 ahead: Sequence[BatchItem] = ()) -> BatchResult:
    """Record many validated complaints in one transaction, skipping those imported before: the steps of
    `record_complaint` in bulk, rows taken in order of receipt. `workers` (an import's forked assessment
    processes) assess the rows while their histories are worked out and the earlier steps written;
    `remembered`, the history the import's earlier batches read and wrote.

    An import overlaps its batches: `ahead` (the next batch's rows) is made ready once this batch's rows
    are stored, so that the workers assess it while this batch's later steps run, and comes back as
    `result.ahead`, to be given as the next call's `prepared`. The next batch uses it only if nothing but
    the import changed the database in between (its remembered history held); else it starts again."""
    result = BatchResult()
    policy = active_policy()
    if prepared is None:
        fresh, result.duplicates = _fresh(items, now)
    else:
        fresh, result.duplicates = prepared.fresh, prepared.duplicates
    if not fresh:
        return result

    def prepare_ahead(stored: Sequence[int]) -> None:
        assert remembered is not None
        remembered.counted(stored)
        if workers is not None and not workers.forked and len(ahead) >= assessing.MIN_ROWS:
            return  # the workers are forked at the next batch's start, when no thread of this one runs
        try:
            with transaction.atomic():  # a failed read leaves this batch's transaction usable (PostgreSQL)
                following, duplicates = _fresh(ahead, now)
                if following:
                    result.ahead = _prepare(following, duplicates, policy=policy, now=now, workers=workers,
                                            remembered=remembered)
        except Exception:
            # The next batch is not this one's to fail: it is made again in its own turn (and fails there if
            # it must). What it counted in the remembered history goes with it.
            result.ahead = None
            remembered.stale()
    if workers is not None:
        # Forked now, if this batch is to be assessed in them, before a thread of the batch's is running:
        # a process forked while another thread holds a lock (SQLite's, the allocator's) may wait for it forever.
        workers.pool_for(policy, rows=len(fresh))
    try:
        # An import's INSERTs run in a thread beside its Python work (`inserts_behind`).
        with transaction.atomic(), inserts_behind() if workers is not None else nullcontext():
            if remembered is not None:
                remembered.check(events.position())
            if prepared is not None and not _still_holds(prepared, policy, remembered):
                # Made ready on what is no longer so: again, from what is stored now, and without the rows
                # it counted in the remembered history as it was made ready.
                prepared = None
                if remembered is not None:
                    remembered.forget()
                fresh, result.duplicates = _fresh(items, now)
            stored = _store_batch(fresh, by=by, now=now, origin=origin, source=source, policy=policy,
                                  workers=workers, remembered=remembered, prepared=prepared,
                                  then=prepare_ahead if ahead and remembered is not None else None
                                  ) if fresh else NewComplaints([], [], [], [])
            if remembered is not None:
                remembered.settle(events.position(), stored.ids)
        result.tracking_numbers.extend(stored.tracking_numbers)
    except IntegrityError:  # (the remembered history, never settled, is not trusted by the next batch)
        # Another import of the same rows (or a tracking-number clash) won the race: record one at a time,
        # so that each row is either stored once or counted as a duplicate.
        result.ahead = None
        for key, item in fresh:
            complaint = record_complaint(item.data, by=by, source=source, now=now, import_key=key)
            if complaint is None:
                result.duplicates += 1
            else:
                result.tracking_numbers.append(complaint.tracking_number)
    return result


def _fresh(items: Sequence[BatchItem], now: datetime) -> tuple[list[tuple[str | None, BatchItem]], int]:
    """The rows not imported before (nor twice in `items`), with their import keys, in order of receipt;
    and how many were."""
    keyed: dict[str, BatchItem] = {}
    duplicates = 0
    for item in items:
        key = import_key_for(item.data)
        if key in keyed:
            duplicates += 1
        else:
            keyed[key] = item
    existing = stored_keys(keyed)
    fresh = sorted(((key, item) for key, item in keyed.items() if key not in existing),
                   key=lambda pair: pair[1].data.received_at or now)
    return fresh, duplicates + len(existing)


def _still_holds(prepared: Prepared, policy: tuple[PolicyVersion, Policy], remembered: Remembered | None) -> bool:
    """Whether a batch made ready ahead (in the transaction of the batch before) may be stored as it is:
    nobody else wrote since (the remembered history held), the same policy is in force (a policy put in
    force elsewhere may show here only now: the policy is cached for a second) and the open incidents are
    the same (the early-warning detector may widen one without writing an event)."""
    return (remembered is not None and prepared.generation == remembered.generation
            and prepared.policy[0].pk == policy[0].pk and prepared.policy[1] is policy[1]
            and (prepared.histories.incidents, prepared.histories.clusters) == open_incident_attributes())


def record_group(batch: Sequence[IntakeData], *, by: User | None, source: str, now: datetime) -> list[Complaint]:
    """Record complaints that arrived at the same moment on a live path (the API), in one transaction:
    the steps of `record_batch` without its duplicate check, since two equal complaints sent on purpose
    are two complaints. Each keeps its own time of receipt. Returns them in the given order; raises
    with nothing stored when one of them cannot be (the caller records them one by one then)."""
    fresh = [(None, BatchItem(data, row)) for row, data in enumerate(batch)]
    order = sorted(range(len(fresh)), key=lambda i: fresh[i][1].data.received_at or now)
    policy = active_policy()
    with transaction.atomic():
        stored = _store_batch([fresh[i] for i in order], by=by, now=now, origin="", source=source, policy=policy)
    complaints: list[Complaint] = [None] * len(batch)  # type: ignore[list-item]
    for i, complaint in zip(order, stored, strict=True):
        complaints[i] = complaint
    return complaints


def _prepare(fresh: list[tuple[str | None, BatchItem]], duplicates: int, *, policy: tuple[PolicyVersion, Policy],
             now: datetime, workers: Workers | None, remembered: Remembered | None) -> Prepared:
    """Each row's history, in order of receipt; its assessment goes on in the workers meanwhile."""
    rules = policy[1]
    batch = [item.data for _key, item in fresh]
    problems = [problem_key(data.text, rules) for data in batch]
    histories = BatchHistory(batch, problems, rules, now, remembered)
    suggestions = suggestions_for([data.text for data in batch])
    assessments = Assessments(policy, now, rows=len(fresh), workers=workers)
    for data, problem, suggestion in zip(batch, problems, suggestions, strict=True):
        received_at = data.received_at or now
        assessments.add(facts_of(data), histories.next(data, received_at, problem), suggestion,
                        received_at=received_at, demand=data.demand)
    return Prepared(fresh, duplicates, policy, histories, assessments,
                    remembered.generation if remembered is not None else None)


def _store_batch(fresh: list[tuple[str | None, BatchItem]], *, by: User | None, now: datetime, origin: str,
                 source: str, policy: tuple[PolicyVersion, Policy], workers: Workers | None = None,
                 remembered: Remembered | None = None, prepared: Prepared | None = None,
                 then: Callable[[Sequence[int]], None] | None = None) -> "NewComplaints":
    """`prepared`: the rows made ready already; `then(ids)` runs once the rows are stored as `ids` and the
    workers are free, while the rest of the batch is written (an import makes its next batch ready)."""
    version, _rules = policy
    # The channels' duty agents own what a recorder without the record capability (or nobody) brings in.
    duties = channel_duties() if by is None or not by.can(Capability.RECORD) else {}
    numbers = unused_tracking_numbers(len(fresh), now)
    # Their ids known ahead, nothing waits for their rows to be written before going on.
    ids = dict(zip(numbers, reserve_ids(Complaint, len(fresh)), strict=True))
    if prepared is None:
        prepared = _prepare(fresh, 0, policy=policy, now=now, workers=workers, remembered=remembered)
    batch = [item.data for _key, item in fresh]
    histories, assessments = prepared.histories, prepared.assessments
    by_id = by.pk if by is not None else None
    rows, assessed, related = [], [], []
    inserted = 0
    for (key, item), data, number, done in zip(fresh, batch, numbers, assessments.results(), strict=True):
        if len(rows) - inserted >= _INSERT_CHUNK:
            # The complaints go in as their assessments come back, in the same order (so with the same ids):
            # the database's work on them overlaps the workers' assessment of the rows after them.
            insert_rows(Complaint, _BATCH_COLUMNS, rows[inserted:])
            inserted = len(rows)
        assignment = first_assignment(by, data.channel, duties)
        owner_id = assignment.owner.pk if assignment.owner else None
        department_id = assignment.department.pk if assignment.department else None
        values = done.values
        rows.append((ids[number], *(getattr(data, name) for name in RECORD_FIELDS), data.received_at or now, number,
                     owner_id, owner_id, department_id, source, by_id, key, Status.RECEIVED, now, now,
                     *(values[name] for name in RISK_FIELDS)))
        assessed.append((number, item.row, owner_id, department_id, done, data.channel))
        related.append({"owner": assignment.owner, "first_owner": assignment.owner,
                        "department": assignment.department, "recorded_by": by})
    insert_rows(Complaint, _BATCH_COLUMNS, rows[inserted:])
    insert_rows(RiskAssessment, ASSESSMENT_COLUMNS,
                ((ids[number], *done.record) for number, _row, _o, _d, done, _c in assessed), adapted=True)
    ordered = NewComplaints([ids[number] for number in numbers], numbers, rows, related)
    event_rows = []
    for number, row, owner_id, department_id, done, channel in assessed:
        event_rows.append(events.recorded_row(ids[number], by=by_id, at=now, source=source, channel=channel,
                                              owner=owner_id, department=department_id, origin=origin, row=row))
        event_rows.append(events.assessed_row(ids[number], by=by_id, at=now,
                                              data=_assessed(version, done.values, done)))
    # An import's events are chained in a worker while their assessments are stored.
    store_events = (events.record_many_in(assessments.pool, event_rows) if assessments.pool is not None
                    else partial(events.record_many, event_rows))
    if then is not None:
        then(ordered.ids)
    store_events()
    covered = _link_incidents(ordered, histories)
    customers = ordered.customers()
    repeats = set(repeat_candidates(customers))
    # Their clocks as the workers worked them out, with the risk each was stored with (`_start_clocks`).
    clocks = ((pk, *clock) for pk, (*_, done, _channel) in zip(ordered.ids, assessed, strict=True)
              if pk not in repeats for clock in done.clocks)
    insert_rows(Deadline, DEADLINE_COLUMNS, clocks, adapted=True)
    for pk in ordered.ids:  # in order of receipt: an earlier repeat's clocks exist before a later one looks for them
        if pk in repeats:
            _merge_or_start_clocks(ordered.get(pk), now=now)
    propose_emergencies([ordered.get(pk) for pk, (*_, done, _channel) in zip(ordered.ids, assessed, strict=True)
                         if done.values["emergency"] and pk not in covered], now=now)

    # Linking and proposing open or close no incident: the open incidents are still those read above.
    done = reassess_many(_crossed_neighbours(histories, ordered), now=now, by=by, policy=policy,
                         open_incidents=(histories.incidents, histories.clusters))
    consequences.apply(done.changes, now=now)
    # A stored complaint's defect item changed (the policy did): read it again. Every re-assessment a batch
    # makes of stored complaints must be looked at here, or the import's remembered history goes stale.
    if remembered is not None and any(change.before["problem_key"] != change.complaint.problem_key
                                      for change in done.changes):
        remembered.stale()
    for pk in reopen_candidates(customers, now=now):
        reopen_same_matter(ordered.get(pk), now=now)
    return ordered


class NewComplaints(Sequence[Complaint]):
    """A batch's new complaints in order of receipt, each as reading it back would give it (`as_stored`),
    made from the rows at hand the first time it is asked for, then kept: most steps need only a few of them
    (repeats, emergencies, those re-assessed), and making all of them was seconds of a large import."""

    def __init__(self, ids: list[int], numbers: list[str], rows: list[tuple], related: list[dict]):
        self.ids, self.tracking_numbers = ids, numbers
        self._rows, self._related = rows, related
        self._index = {pk: i for i, pk in enumerate(ids)}
        self._made: dict[int, Complaint] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> Complaint:  # type: ignore[override]
        if index < 0:
            raise IndexError(index)  # counted from the start only: one complaint, one object
        made = self._made.get(index)
        if made is None:  # (past the end, IndexError here, as a sequence must)
            made = self._made[index] = as_stored(self.ids[index], _BATCH_COLUMNS, self._rows[index],
                                                 self._related[index])
        return made

    def get(self, pk: int) -> Complaint:
        return self[self._index[pk]]

    def holds(self, pk: int) -> bool:
        return pk in self._index

    def customers(self) -> list[tuple[int, str, str]]:
        """(id, phone, email) of each, without making the complaints."""
        phone, email = _BATCH_COLUMNS.index("phone"), _BATCH_COLUMNS.index("email")
        return [(pk, row[phone], row[email]) for pk, row in zip(self.ids, self._rows, strict=True)]


def _crossed_neighbours(histories: BatchHistory, ordered: NewComplaints) -> list[tuple[Complaint, str]]:
    """The open complaints to re-assess, each once under its first trigger (`BatchHistory.crossed`). A
    complaint of the batch itself is given as the batch holds it, so that its re-assessment shows on the
    instance the caller returns."""
    crossed = histories.crossed(ordered.ids)
    mine = {pk: ordered.get(pk) for pk, _trigger in crossed if ordered.holds(pk)}
    others = [pk for pk, _trigger in crossed if pk not in mine]
    for start in range(0, len(others), 500):
        mine.update((c.pk, c) for c in Complaint.objects.filter(pk__in=others[start:start + 500]))
    return [(mine[pk], trigger) for pk, trigger in crossed]


def _link_incidents(complaints: Sequence[Complaint], histories: BatchHistory) -> set[int]:
    """Link the complaints that belong to an open incident; the ids now covered by an incident's plan."""
    if not histories.incidents and not histories.clusters:
        return set()
    return link_many_to_open_incidents(complaints)

