"""A bulk insert of intake clocks names every column a Deadline row needs (imports and the sweep bench use it)."""

from tousu.workflow.actions.deadlines import DEADLINE_COLUMNS
from tousu.workflow.models import Deadline


def test_the_bulk_columns_cover_every_required_column():
    # Columns with only a Python default still need a value in a raw INSERT.
    required = {f.name for f in Deadline._meta.concrete_fields if not f.null and not f.primary_key}
    assert required <= set(DEADLINE_COLUMNS), sorted(required - set(DEADLINE_COLUMNS))
