"""Where each figure of a review leads: the complaints behind it. The complaint list (/complaints/) is used
wherever its own filters say exactly the same (a period, a department, a type, level, grade, channel,
region, product or lot, emergencies); every other figure goes to the review's own list of tracking numbers
(/reports/complaints/), which understands every figure's filter (see drill.py)."""

from datetime import date
from functools import lru_cache
from urllib.parse import urlencode

from django.urls import reverse

from tousu.reports.cohort import CURRENT, Cohort

# A review filter → the complaint list's parameter for it (complaints/views/listing.py).
LIST_PARAMETERS = {"type": "complaint_type", "level": "risk_level", "grade": "grade", "channel": "channel",
                   "region": "region", "product": "product", "lot": "lot", "status": "status", "dept": "department",
                   "emergency": "emergency"}


@lru_cache(maxsize=8)
def _path(name: str) -> str:
    return reverse(name)


def _text(value) -> str:
    return "" if value is None else str(value)


def _listable(filters: dict) -> bool:
    """The list can say it: only its filters, each with a value (the list reads an empty one as "any")."""
    for name, value in filters.items():
        if name not in LIST_PARAMETERS or _text(value) == "":
            return False
        if name == "grade" and not _text(value).isdigit() or name == "emergency" and _text(value) != "1":
            return False
    return True


def period_complaints(first: date | None, last: date | None, department: str = "", **filters) -> str:
    """The complaints of a period (and department) that match `filters`, on the list that can show them."""
    filters = {name: _text(value) for name, value in filters.items()}
    if "dept" in filters and department and filters["dept"] != department:
        listable = False
    else:
        listable = _listable(filters)
    if listable:
        params = {}
        if first is not None:
            params.update({"received_from": first.isoformat(), "received_to": last.isoformat()})
        if department:
            params["department"] = department
        params.update({LIST_PARAMETERS[name]: value for name, value in filters.items()})
        return f"{_path('complaints:list')}?{urlencode(params)}"
    params = {"from": first.isoformat(), "to": last.isoformat()} if first is not None else {}
    if department:
        params["department"] = department
    params.update(filters)
    return f"{_path('reports:complaints')}?{urlencode(params)}"


class Links:
    def __init__(self, cohort: Cohort):
        self.cohort = cohort

    def complaints(self, index: int = CURRENT, **filters) -> str:
        period = self.cohort.periods[index]
        return period_complaints(period.first, period.last, self.cohort.department, **filters)


def drill(**filters) -> str:
    """The review's list for filters not bound to a period (the dashboard's open complaints)."""
    return period_complaints(None, None, **filters)


def complaint_list(**filters) -> str:
    """The complaint list with its own filters (status, risk_level, channel, department, overdue …)."""
    return f"{reverse('complaints:list')}?{urlencode({k: str(v) for k, v in filters.items()})}"


def complaint(tracking_number: str) -> str:
    return reverse("complaints:detail", args=[tracking_number])
