"""The operators' commands that take a date-time: `tousu deadline START`, `tousu sweep --now`, `tousu incidents --now`."""

import io

import pytest
from django.core.management import CommandError, call_command


def test_deadline_counts_working_days_over_the_national_day_holiday():
    out = io.StringIO()
    call_command("deadline", "2026-09-30T10:00", "--working-days", "5", stdout=out)
    assert out.getvalue().strip() == "2026-10-13T10:00:00+08:00"


@pytest.mark.django_db
@pytest.mark.parametrize(("command", "arguments", "named"), [
    ("deadline", ["30/09/2026", "--working-days", "5"], "start"),
    ("sweep", ["--now", "tomorrow", "--no-deliver"], "--now"),
    ("incidents", ["--now", "tomorrow"], "--now"),
])
def test_a_bad_date_time_is_refused_naming_the_argument(command, arguments, named):
    with pytest.raises(CommandError, match=rf"{named}: .* is not an ISO 8601 date-time"):
        call_command(command, *arguments)
