import gc
import weakref

from tousu.core.heap import BULK_THRESHOLDS, settled_heap


class _Node:
    pass


def test_settled_heap_sets_aside_older_objects_and_puts_them_back():
    assert gc.get_freeze_count() == 0
    with settled_heap():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_cycles_made_inside_are_still_collected():
    with settled_heap():
        node = _Node()
        node.self = node  # a reference cycle: only the collector frees it
        alive = weakref.ref(node)
        del node
        gc.collect()
        assert alive() is None


def test_the_heap_is_put_back_when_the_work_fails():
    try:
        with settled_heap():
            raise RuntimeError("import failed")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0


def test_the_collector_runs_less_often_inside_and_as_before_after():
    before = gc.get_threshold()
    with settled_heap():
        assert gc.get_threshold() == BULK_THRESHOLDS
        assert gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before
    try:
        with settled_heap():
            raise RuntimeError("import failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == before
