"""The complaint list: filters, search, sorting, pagination, saved filters, bulk assignment and the export
of the filtered rows to Excel. One function reads the filters so the page, the export and the bulk action
always mean the same rows."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.dateparse import parse_date

from tousu.accounts.models import User
from tousu.accounts.roles import Capability
from tousu.complaints.access import visible_complaints, with_next_due
from tousu.complaints.models import Complaint
from tousu.complaints.search import looks_personal, search, words_of

TEXT_FILTERS = ("status", "risk_level", "priority", "complaint_type", "channel", "product", "lot", "region")
FLAGS = ("overdue", "flagged", "mine", "emergency")
SORTS = ("urgency", "newest", "oldest", "due")


@dataclass
class Filters:
    values: dict
    errors: list[str]

    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.values.items() if v not in ("", False, None)})


def read_filters(params, user: User) -> Filters:
    values: dict = {name: params.get(name, "").strip() for name in TEXT_FILTERS}
    values.update({name: params.get(name) == "1" for name in FLAGS})
    values["q"] = params.get("q", "").strip()
    values["grade"] = params.get("grade", "").strip()
    values["owner"] = params.get("owner", "").strip()
    values["department"] = params.get("department", "").strip()
    values["received_from"] = params.get("received_from", "").strip()
    values["received_to"] = params.get("received_to", "").strip()
    sort = params.get("sort", "urgency")
    values["sort"] = sort if sort in SORTS else "urgency"
    errors = []
    for name in ("received_from", "received_to"):
        if values[name] and parse_date(values[name]) is None:
            errors.append(name)
            values[name] = ""
    if values["q"] and not user.can(Capability.VIEW_PERSONAL_DATA) and any(
            looks_personal(w) for w in words_of(values["q"])):
        errors.append("q")
        values["q"] = " ".join(w for w in words_of(values["q"]) if not looks_personal(w))
    return Filters(values, errors)


def filtered(user: User, filters: Filters, now: datetime) -> QuerySet[Complaint]:
    v = filters.values
    complaints = with_next_due(visible_complaints(user).select_related("owner", "department"))
    for name in TEXT_FILTERS:
        if v[name]:
            complaints = complaints.filter(**{name: v[name]})
    if v["grade"].isdigit():
        complaints = complaints.filter(severity_grade=int(v["grade"]))
    if v["owner"]:
        complaints = complaints.filter(owner__username=v["owner"])
    if v["department"]:
        complaints = complaints.filter(department__code=v["department"])
    tz = timezone.get_current_timezone()
    if v["received_from"]:
        complaints = complaints.filter(received_at__gte=datetime.combine(parse_date(v["received_from"]), time.min, tz))
    if v["received_to"]:
        end = datetime.combine(parse_date(v["received_to"]), time.min, tz) + timedelta(days=1)
        complaints = complaints.filter(received_at__lt=end)
    if v["q"]:
        complaints = search(complaints, v["q"])
    if v["overdue"]:
        complaints = complaints.filter(next_due__lt=now)
    if v["flagged"]:
        complaints = complaints.filter(possible_high_risk=True)
    if v["mine"]:
        complaints = complaints.filter(owner=user)
    if v["emergency"]:
        complaints = complaints.filter(emergency=True)
    return sort(complaints, v["sort"], now)


def sort(complaints: QuerySet[Complaint], how: str, now: datetime) -> QuerySet[Complaint]:
    if how == "newest":
        return complaints.order_by("-received_at", "-id")
    if how == "oldest":
        return complaints.order_by("received_at", "id")
    if how == "due":
        return complaints.order_by(F("next_due").asc(nulls_last=True), "-received_at")
    # Most urgent first: emergencies, then overdue, then the soonest deadline, then the higher risk.
    risk_rank = Case(When(risk_level="high", then=Value(0)), When(risk_level="medium", then=Value(1)),
                     default=Value(2), output_field=IntegerField())
    overdue_rank = Case(When(next_due__lt=now, then=Value(0)), default=Value(1), output_field=IntegerField())
    return complaints.annotate(risk_rank=risk_rank, overdue_rank=overdue_rank).order_by(
        "-emergency", "overdue_rank", F("next_due").asc(nulls_last=True), "risk_rank", "-received_at")
