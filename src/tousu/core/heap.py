"""Bulk work without full garbage collections over the whole program.

An import builds hundreds of thousands of small objects, so Python's collector runs its oldest generation
again and again, and each such run walks every object the process holds: Django, the policy, the model
(scikit-learn). That was about a quarter of import time. Inside `settled_heap()` the objects that existed
before are set aside (`gc.freeze`), so collections look only at what the bulk work made; they are put back
afterwards, and nothing that becomes garbage meanwhile is kept.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def settled_heap() -> Iterator[None]:
    gc.freeze()
    try:
        yield
    finally:
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
