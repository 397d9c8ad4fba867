"""Small factories for the review's tests: a review of a period, clocks met at a given time."""

from datetime import date, datetime

from tousu.complaints.models import Complaint
from tousu.reports.cohort import Cohort
from tousu.reports.period import Period
from tousu.reports.review import build_review
from tousu.testing import make_complaint
from tousu.timeline import SHANGHAI
from tousu.workflow.models import Deadline

LOW = "想咨询一下退货流程"  # low risk, service: solution within 5 working days
MEDIUM = "快递丢了，要求赔偿"  # medium, delivery, money: solution within 48 hours
HIGH_SAFETY = "孩子被热水壶烫伤住院了"  # high, safety, emergency
HIGH_MEDIA = "我要向12315投诉你们，还要找媒体曝光"  # high, compliance + spread, not an emergency


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


def review_of(first: date, last: date, *, now: datetime, department: str = "", visible=None) -> dict:
    return build_review(Cohort(Period(first, last), department, visible), now=now)


def complaint(text: str = LOW, *, received: datetime, by=None, department=None, **fields) -> Complaint:
    """A complaint recorded through intake; `department` is set afterwards (intake assigns none by itself)."""
    fields.setdefault("channel", "phone")
    recorded = make_complaint(by=by, text=text, now=received, received_at=received, **fields)
    return set_fields(recorded, department=department) if department is not None else recorded


def meet(complaint: Complaint, stage: str, when: datetime) -> Deadline:
    """The complaint's open clock of `stage` met at `when` (as the step that meets it would)."""
    clock = complaint.deadlines.get(stage=stage, met_at__isnull=True)
    clock.met_at = when
    clock.save(update_fields=["met_at"])
    return clock


def set_fields(complaint: Complaint, **values) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(**values)
    complaint.refresh_from_db()
    return complaint


def stage(review: dict, code: str) -> dict:
    return next(s for s in review["time_limits"]["stages"] if s["stage"] == code)


def items(review: dict, dimension: str) -> dict:
    """code → count of one dimension's counts."""
    return {item["code"]: item["count"] for item in review["counts"][dimension]["items"]}
