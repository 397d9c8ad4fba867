"""Bulk work without full garbage collections over the whole program.

An import builds hundreds of thousands of small objects, so Python's collector runs its oldest generation
again and again, and each such run walks every object the process holds: Django, the policy, the model
(scikit-learn). That was about a quarter of import time. Inside `settled_heap()` the objects that existed
before are set aside (`gc.freeze`), so collections look only at what the bulk work made; they are put back
afterwards; garbage made meanwhile is still collected.

Inside it the collector also runs less often (`BULK_THRESHOLDS`): with the default thresholds the young
collections alone, each walking the survivors of the batch at hand again, were still 8 of an import's 94
seconds (100,000 rows, `bench/intake.py`); with these, under half a second. Cyclic garbage waits a little
longer to be freed (the import's memory is what its batches hold, not what they throw away: almost
everything it makes is freed by reference counting), and the thresholds are put back afterwards.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# A young collection per 100,000 new container objects (not 700); the middle generation every 20 of those,
# the oldest after 100 of the middle one's, which a bulk job of ordinary size never reaches.
BULK_THRESHOLDS = (100_000, 20, 100)


@contextmanager
def settled_heap() -> Iterator[None]:
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BULK_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def settle_web_process() -> None:
    """For a web worker, once the application is loaded: load what the first request would (the URL
    configuration, and with it the API, the views and what they import), then set every object that
    exists by now aside for good. The collector's full runs then walk only what requests create, not
    Django and the libraries again and again."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    gc.collect()
    gc.freeze()
