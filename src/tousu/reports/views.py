"""The review page, its printable and Excel forms, the complaints behind a figure, and the dashboard.
Thin: check the capability, read the period, build, render."""


from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tousu.accounts.models import Department
from tousu.accounts.roles import Capability
from tousu.complaints.validation import IntakeError
from tousu.reports.cohort import Cohort
from tousu.reports.dashboard import build_dashboard
from tousu.reports.drill import Drill, describe, parse_scope, reader_scope
from tousu.reports.labels import label_of
from tousu.reports.period import previous_month
from tousu.reports.printable import context, render_printable
from tousu.reports.review import build_review
from tousu.reports.xlsx import write_workbook
from tousu.timeline import SHANGHAI

DRILL_PAGE_SIZE = 200


def _require_reports(request: HttpRequest) -> None:
    if not request.user.can(Capability.VIEW_REPORTS):
        raise PermissionDenied(_("your role may not see reviews"))


def _review_for(request: HttpRequest):
    """(cohort, review, errors) for the period in the query string (default: last month)."""
    now = timezone.now()
    try:
        period, department = parse_scope(request.GET, default=previous_month(now.astimezone(SHANGHAI).date()))
    except IntakeError as exc:
        return None, None, exc.errors
    cohort = Cohort(period, department, reader_scope(request.user))
    return cohort, build_review(cohort, now=now), []


def _query(cohort: Cohort) -> str:
    from urllib.parse import urlencode

    params = {"from": cohort.period.first.isoformat(), "to": cohort.period.last.isoformat()}
    if cohort.department:
        params["department"] = cohort.department
    return urlencode(params)


@login_required
def review(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    cohort, data, errors = _review_for(request)
    if request.GET.get("format") == "json":
        if errors:
            return JsonResponse({"errors": [e.as_dict() for e in errors]}, status=422)
        return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    values = {"from": request.GET.get("from", ""), "to": request.GET.get("to", ""),
              "department": request.GET.get("department", "")}
    ctx = {"errors": errors, "values": values, "departments": Department.objects.all()}
    if data is not None:
        values.update({"from": data["period"]["from"], "to": data["period"]["to"]})
        ctx.update(context(data))
        ctx["query"] = _query(cohort)
    return render(request, "reports/review.html", ctx, status=422 if errors else 200)


@login_required
def review_print(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    _cohort, data, errors = _review_for(request)
    if errors:
        return JsonResponse({"errors": [e.as_dict() for e in errors]}, status=422)
    return HttpResponse(render_printable(data))


@login_required
def review_xlsx(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    cohort, data, errors = _review_for(request)
    if errors:
        return JsonResponse({"errors": [e.as_dict() for e in errors]}, status=422)
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"tousu-review-{data['period']['from']}-{data['period']['to']}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_workbook(data, cohort, response)
    return response


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    """The complaints behind one figure of a review or of the dashboard, as linked tracking numbers."""
    _require_reports(request)
    now = timezone.now()
    try:
        period, department = parse_scope(request.GET, required=False)
        drill = Drill(period, department, reader_scope(request.user), now)
        found = drill.complaints(request.GET).select_related("department").order_by("-received_at", "-id")
        page = Paginator(found, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    except IntakeError as exc:
        return render(request, "reports/complaints.html", {"errors": exc.errors, "page": None}, status=422)
    for complaint in page:
        complaint.type_label = label_of("type", complaint.complaint_type)
        complaint.level_label = label_of("level", complaint.risk_level)
    query = request.GET.copy()
    query.pop("page", None)
    departments = dict(Department.objects.values_list("code", "name"))
    shown = describe(request.GET, departments)
    return render(request, "reports/complaints.html", {"page": page, "period": period, "query": query.urlencode(),
                                                       "shown_filters": shown})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    data = build_dashboard(reader_scope(request.user), now=timezone.now())
    return render(request, "reports/dashboard.html", {"dashboard": data})
