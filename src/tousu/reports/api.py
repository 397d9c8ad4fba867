"""GET /api/reports: the review as JSON, the same document as `tousu report --json` and the page."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tousu.accounts.roles import Capability
from tousu.complaints.access import AccessDenied
from tousu.complaints.schemas import ErrorOut
from tousu.reports.cohort import Cohort
from tousu.reports.drill import parse_scope, reader_scope
from tousu.reports.period import previous_month
from tousu.reports.review import build_review
from tousu.timeline import SHANGHAI

router = Router(tags=["reports"])


class ReviewQuery(Schema):
    from_: str | None = Field(None, alias="from", description="first day, e.g. 2026-11-01 (default: last month)")
    to: str | None = Field(None, description="last day, included, e.g. 2026-11-30")
    department: str | None = Field(None, description="a department code; none: every department")


@router.get("/reports", response={200: dict, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut})
def get_review(request: HttpRequest, query: Query[ReviewQuery]):
    """The review of a period (docs/reports.md lists its keys); a reader sees the complaints their role sees."""
    user = request.auth
    if not user.can(Capability.VIEW_REPORTS):
        raise AccessDenied("this role may not see reviews")
    now = timezone.now()
    period, department = parse_scope({"from": query.from_, "to": query.to, "department": query.department},
                                     default=previous_month(now.astimezone(SHANGHAI).date()))
    return build_review(Cohort(period, department, reader_scope(user)), now=now)
