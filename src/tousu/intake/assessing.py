"""The assessment of an import batch's rows, in forked worker processes while the pipeline goes on.

An import's rows are assessed one after another in order of receipt, each with the history the rows
before it give it (`BatchHistory`). The history is cheap and sequential; the assessment (phrase matching,
amounts, the evidence of every factor) is the expensive part and depends only on the row's facts, its
history and the policy. So the pipeline computes each row's history and hands the assessment to
`Assessments`, which sends rows in chunks to worker processes forked from this one (they share the parsed
policy and compiled matcher by fork, and never touch the database), and gives the results back in the
rows' order. Both cores work: the workers assess while the main process computes histories and writes.

A worker returns what the pipeline stores, not the `Assessment` itself: the risk fields of the
complaint, the factors of its `assessed` event, and its assessment row and intake clocks already in the
database's form (JSON text, UTC times), so that the main process, which writes everything, only inserts
them. In-process (a small batch, one core, tests) the very same function runs, so the results cannot
differ."""

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

from tousu.assessments.actions import ASSESSMENT_COLUMNS, assessment_values, risk_values
from tousu.assessments.learning import assess_with_model
from tousu.assessments.models import PolicyVersion, RiskAssessment
from tousu.core.bulk import adapted_rows
from tousu.risk import Facts, History, Policy
from tousu.risk.learning import Suggestion
from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS, intake_deadline_rows
from tousu.workflow.models import Deadline

CHUNK = 250  # rows per message: large enough that pickling is a small share, small enough to overlap
# Below this many rows a batch is assessed in process: forking and pickling would cost more than they save.
MIN_ROWS = 400


@dataclass(frozen=True)
class Assessed:
    """One row's assessment as the pipeline stores it."""

    values: dict  # the complaint's risk fields (`risk_values`)
    factors: list  # the factors, for its `assessed` event
    record: tuple  # the assessment row without the complaint id (the first column), adapted (`adapted_rows`)
    clocks: list[tuple]  # the intake stages' clocks (`intake_deadline_rows`) without the complaint id, adapted


# The row's facts, history and suggestion, and its time of receipt and demand (for its clocks).
Row = tuple[Facts, History, Suggestion | None, datetime, str]


def assess_rows(rows: list[Row], version: PolicyVersion, rules: Policy, now: datetime) -> list[Assessed]:
    found, records, starts = [], [], []
    for index, (facts, history, suggestion, received_at, demand) in enumerate(rows):
        result = assess_with_model(facts, history, rules, suggestion)
        values = risk_values(result, suggestion=suggestion)
        found.append((values, list(result.factors)))
        records.append(assessment_values(0, version, result, trigger="intake", now=now, suggestion=suggestion))
        starts.append((index, received_at, values["risk_level"], values["emergency"], facts.channel, demand))
    # Each row's clocks, with the row's index where the complaint id will go.
    clocks: list[list[tuple]] = [[] for _ in rows]
    for index, *clock in adapted_rows(Deadline, DEADLINE_COLUMNS, intake_deadline_rows(starts, rules)):
        clocks[index].append(tuple(clock))
    records = adapted_rows(RiskAssessment, ASSESSMENT_COLUMNS, records)
    return [Assessed(values, factors, tuple(record[1:]), own)
            for (values, factors), record, own in zip(found, records, clocks, strict=True)]


# What a forked worker assesses with: the parent's policy at the moment it forked (see `Assessments`).
_forked: tuple[PolicyVersion, Policy] | None = None


def _assess_chunk(rows: list[Row], now: datetime) -> list[Assessed]:
    assert _forked is not None
    version, rules = _forked
    return assess_rows(rows, version, rules, now)


class Workers:
    """Forked assessment workers for the length of one import (`with Workers() as workers`), one per core,
    forked when the first batch large enough asks for them, with the policy that batch is assessed with.
    A batch assessed with another policy (one put in force during the import) is assessed in process."""

    def __init__(self, processes: int | None = None):
        self.processes = processes if processes is not None else (os.cpu_count() or 1)
        self._pool: Pool | None = None
        self._policy: tuple[PolicyVersion, Policy] | None = None

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.terminate()  # every result has been collected; nothing is left to finish
            self._pool.join()
            self._pool = None

    @property
    def forked(self) -> bool:
        return self._pool is not None

    @property
    def may_fork(self) -> bool:
        """Whether a later `pool_for` may still fork them."""
        return self._pool is None and self.processes >= 2

    def pool_for(self, policy: tuple[PolicyVersion, Policy], *, rows: int = MIN_ROWS) -> Pool | None:
        """The workers for a batch of `rows` assessed with `policy`; None when it is assessed in process."""
        global _forked
        if self.processes < 2 or rows < MIN_ROWS:
            return None
        if self._pool is None:
            self._policy = _forked = policy
            try:
                # The children never use the parent's database connection, and leave with os._exit.
                self._pool = multiprocessing.get_context("fork").Pool(self.processes)
            finally:
                _forked = None
        assert self._policy is not None
        same = policy[0].pk == self._policy[0].pk and policy[1] is self._policy[1]
        return self._pool if same else None


class Assessments:
    """The assessments of one batch: `add` each row (in order) as soon as its history is known, then
    `results()` gives them back in that order."""

    def __init__(self, policy: tuple[PolicyVersion, Policy], now: datetime, *, rows: int,
                 workers: Workers | None = None):
        self.version, self.rules = policy
        self.now = now
        self._pool = workers.pool_for(policy, rows=rows) if workers is not None else None
        self._pending: list[Row] = []
        self._parts: list[AsyncResult | list[Assessed]] = []

    @property
    def pool(self) -> Pool | None:
        """The workers this batch is assessed in, if any (other work of the batch may go there too)."""
        return self._pool

    def add(self, facts: Facts, history: History, suggestion: Suggestion | None, *, received_at: datetime,
            demand: str) -> None:
        self._pending.append((facts, history, suggestion, received_at, demand))
        if self._pool is not None and len(self._pending) >= CHUNK:
            self._send()

    def _send(self) -> None:
        if self._pending:
            assert self._pool is not None
            self._parts.append(self._pool.apply_async(_assess_chunk, (self._pending, self.now)))
            self._pending = []

    def results(self) -> Iterator[Assessed]:
        if self._pool is not None:
            self._send()
        else:
            self._parts.append(assess_rows(self._pending, self.version, self.rules, self.now))
            self._pending = []
        for part in self._parts:
            yield from (part.get(timeout=600) if isinstance(part, AsyncResult) else part)
