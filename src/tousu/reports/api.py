"""GET /api/reports: the review as JSON, the same document as `tousu report --json` and the page."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tousu.accounts.roles import Capability
from tousu.complaints.access import AccessDenied
from tousu.complaints.schemas import STRICT, Text, errors
from tousu.reports.cohort import Cohort
from tousu.reports.drill import parse_scope, reader_scope
from tousu.reports.period import previous_month
from tousu.reports.review import build_review
from tousu.timeline import SHANGHAI

router = Router(tags=["reports"])


class ReviewQuery(Schema):
    model_config = STRICT

    from_: date | None = Field(None, alias="from", description="first day, e.g. 2026-11-01 (default: last month)")
    to: date | None = Field(None, description="last day, included, e.g. 2026-11-30; both days or neither")
    department: Text(20) | None = Field(None, description="a department code; none: every department")


@router.get("/reports", response={200: dict, **errors(403, 422)})
def get_review(request: HttpRequest, query: Query[ReviewQuery]):
    """The review of a period (docs/reports.md lists its keys); a reader sees the complaints their role sees."""
    user = request.auth
    if not user.can(Capability.VIEW_REPORTS):
        raise AccessDenied("this role may not see reviews")
    now = timezone.now()
    period, department = parse_scope({"from": query.from_ and query.from_.isoformat(),
                                      "to": query.to and query.to.isoformat(), "department": query.department},
                                     default=previous_month(now.astimezone(SHANGHAI).date()))
    return build_review(Cohort(period, department, reader_scope(user)), now=now)
