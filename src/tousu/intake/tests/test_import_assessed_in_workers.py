"""An import's rows assessed (and its events chained) in forked worker processes end exactly as when
recorded one at a time through the API: the equivalence test again, with every batch sent to the workers
in chunks of a few rows, and the audit chain verified after."""

import pytest

from tousu.complaints import events
from tousu.intake import assessing
from tousu.intake.tests import test_equivalence

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.mark.parametrize("policy", ["manufacturing", "banking"])
def test_rows_assessed_in_forked_workers_end_as_one_by_one(client, policy, monkeypatch):
    monkeypatch.setattr(assessing, "MIN_ROWS", 1)
    monkeypatch.setattr(assessing, "CHUNK", 4)  # several chunks, several workers, results put back in order
    pools = []
    pool_for = assessing.Workers.pool_for

    def counted(self, policy, **kwargs):
        self.processes = 2  # forked even on a one-core machine
        pool = pool_for(self, policy, **kwargs)
        pools.append(pool)
        return pool

    monkeypatch.setattr(assessing.Workers, "pool_for", counted)
    # In batches of 5: each made ready in the workers while the one before is stored.
    test_equivalence.test_the_api_one_by_one_and_one_import_give_the_same_outcome(client, policy, 5, monkeypatch)
    assert pools and all(pool is not None for pool in pools)
    assert events.verify().ok  # the events chained in a worker hold the audit chain


def test_a_small_batch_is_assessed_in_process():
    with assessing.Workers(processes=2) as workers:
        found = assessing.Assessments((None, None), None, rows=assessing.MIN_ROWS - 1, workers=workers)  # type: ignore[arg-type]
        assert found._pool is None and workers._pool is None
