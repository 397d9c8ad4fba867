"""The grouped queries behind a review. Each asks the database one GROUP BY over the cohort and returns
plain rows; none reads the complaints one by one, so a review costs the same number of queries for ten
complaints or a million (tests hold that with assertNumQueries)."""

from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)

from tousu.assessments.models import RiskAssessment
from tousu.complaints.choices import EventKind
from tousu.complaints.models import Complaint, ComplaintEvent
from tousu.reports.cohort import CURRENT, Cohort
from tousu.reports.sql import (
    Epoch,
    days_before,
    json_elements,
    json_field,
    json_text,
    local_day,
    stretch,
)
from tousu.reports.worktime import WorkingTime
from tousu.timeline.rules import Stage
from tousu.workflow.models import Deadline, EmergencyPlan, Escalation, RootCause, Solution, Survey

# What a complaint is counted by (the dimensions of the review), as Complaint fields.
GROUPED = ("complaint_type", "risk_level", "severity_grade", "defect_grade", "channel", "department_id",
           "emergency")
# Dimensions with many values, counted by a query of their own (with the risk level, for the high-risk traits).
OPEN_ENDED = ("region", "product", "lot")
WORKING_UNITS = ("working_days", "working_hours")
# The dimensions the earlier periods are compared by.
COMPARED = ("complaint_type", "risk_level", "channel", "emergency")


def complaint_groups(cohort: Cohort, index: int, fields: tuple[str, ...] = GROUPED) -> list[dict]:
    """Complaints of one period by the low-cardinality dimensions at once; the review folds them.
    (One query per period: a range each, where one query over three ranges made SQLite merge them first.)"""
    return list(cohort.complaints(index).values(*fields).annotate(n=Count("id")))


def open_ended_groups(cohort: Cohort, field: str) -> list[tuple[str, str, int]]:
    """(value, risk level, count) of the current period for region, product or lot."""
    return list(cohort.complaints().values_list(field, "risk_level").annotate(n=Count("id")))


def _clock_counts(now: datetime) -> dict:
    met = Q(met_at__isnull=False)
    return {"clocks": Count("id"), "met": Count("id", filter=met),
            "on_time": Count("id", filter=met & Q(met_at__lte=F("due_at"))),
            "overdue": Count("id", filter=Q(met_at__isnull=True, paused_at__isnull=True, due_at__lt=now)),
            "paused": Count("id", filter=Q(met_at__isnull=True, paused_at__isnull=False))}


def clock_summary(cohort: Cohort, index: int, now: datetime) -> list[dict]:
    """Stage clocks of one period's complaints by stage: how many, met, met on time, overdue, paused."""
    return list(Deadline.objects.filter(cohort.where("complaint__", (index,))).order_by()
                .values("stage").annotate(**_clock_counts(now)))


def clock_totals(cohort: Cohort, index: int, now: datetime) -> dict:
    """The same counts over every stage at once (for the earlier periods: no grouping to pay for)."""
    return Deadline.objects.filter(cohort.where("complaint__", (index,))).aggregate(**_clock_counts(now))


def clock_groups(cohort: Cohort, working: WorkingTime, now: datetime) -> list[dict]:
    """The current period's stage clocks by stage and limit, and for met ones also by the local day (and
    stretch of the day) of their met and due times: the counts, the calendar time used and allowed
    (seconds, less the time paused) and the sums of the local met and due times. From these `WorkingTime`
    tells how much working time was left when each clock was met, without reading the clocks one by one."""
    offset, bounds = cohort.offset, working.bounds
    met = Q(met_at__isnull=False)

    def when_met(expression):
        return Case(When(met, then=expression), default=Value(None), output_field=IntegerField())

    # Sums of the plain times, each parsed once per clock (the database repeats every expression it is
    # given): used = Σmet − Σstarted − Σpaused, allowed = Σdue − Σstarted − Σpaused.
    return list(Deadline.objects.filter(cohort.where("complaint__")).order_by()
                .annotate(met_day=when_met(local_day("met_at", offset)), due_day=when_met(local_day("due_at", offset)),
                          met_stretch=when_met(stretch("met_at", offset, bounds)),
                          due_stretch=when_met(stretch("due_at", offset, bounds)))
                .values("stage", "duration", "met_day", "met_stretch", "due_day", "due_stretch")
                .annotate(**_clock_counts(now), met_seconds=Sum(Epoch("met_at"), filter=met),
                          due_seconds=Sum(Epoch("due_at"), filter=met),
                          started_seconds=Sum(Epoch("started_at"), filter=met),
                          paused_seconds=Sum("paused_seconds", filter=met)))


REOPENED = Q(kind=EventKind.STATUS_CHANGED, data__action="reopen")


def reopened_count(cohort: Cohort, index: int) -> int:
    """Complaints of one period reopened at least once (by the customer's answer, a new complaint or a person)."""
    return (ComplaintEvent.objects.filter(cohort.where("complaint__", (index,)), REOPENED)
            .aggregate(n=Count("complaint_id", distinct=True))["n"])


def reopened_condition() -> Exists:
    return Exists(ComplaintEvent.objects.filter(REOPENED, complaint=OuterRef("pk")))


# ---- repeats ------------------------------------------------------------------------------------------

def _repeat_sql(cohort: Cohort, window_days: int) -> tuple[str, list]:
    """A `flags` table: each complaint of the current period with two flags, an earlier complaint of the
    same customer (phone or email) within the window before it, and one about the same matter (the same
    order number, or the same product with the same defect item). Earlier complaints count whoever may see
    them: the customer came back either way. Phone, email and product look-ups use their
    (…, received_at) indexes; order numbers have none, so the window's ones are gathered once and the
    database indexes them itself. Materialized, so each look-up runs once per complaint."""
    table = Complaint._meta.db_table
    start, end = cohort.bounds(CURRENT)
    since = days_before("c.received_at", window_days)
    earlier = (f"q.received_at >= {since} AND (q.received_at < c.received_at OR "
               f"(q.received_at = c.received_at AND q.id < c.id))")

    def exists(source: str, same: str) -> str:
        return f"EXISTS (SELECT 1 FROM {source} q WHERE {same} AND {earlier})"

    cohort_sql, cohort_params = cohort.complaints().values("pk").query.sql_with_params()
    sql = f"""
        WITH orders AS MATERIALIZED (SELECT id, order_no, received_at FROM {table}
                                     WHERE received_at >= %s AND received_at < %s AND order_no <> ''),
        flags AS MATERIALIZED (
            SELECT c.id,
                   CASE WHEN (c.phone <> '' AND {exists(table, "q.phone = c.phone")})
                          OR (c.email <> '' AND {exists(table, "q.email = c.email")}) THEN 1 ELSE 0 END AS by_customer,
                   CASE WHEN (c.order_no <> '' AND {exists("orders", "q.order_no = c.order_no")})
                          OR (c.product <> '' AND c.problem_key <> ''
                              AND {exists(table, "q.product = c.product AND q.problem_key = c.problem_key")})
                        THEN 1 ELSE 0 END AS by_matter
            FROM {table} c WHERE c.id IN ({cohort_sql}))"""
    adapt = connection.ops.adapt_datetimefield_value
    return sql, [adapt(start - timedelta(days=window_days)), adapt(end), *cohort_params]


def repeat_ids(cohort: Cohort, window_days: int, kind: str) -> list[int]:
    """The current period's repeats of one kind: customer, matter or any."""
    sql, params = _repeat_sql(cohort, window_days)
    condition = {"customer": "by_customer = 1", "matter": "by_matter = 1"}.get(kind, "by_customer + by_matter > 0")
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} SELECT id FROM flags WHERE {condition}", params)
        return [pk for (pk,) in cursor.fetchall()]


def repeat_counts(cohort: Cohort, window_days: int) -> dict[str, int]:
    sql, params = _repeat_sql(cohort, window_days)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} SELECT COALESCE(SUM(by_customer), 0), COALESCE(SUM(by_matter), 0), "
                       "COALESCE(SUM(CASE WHEN by_customer + by_matter > 0 THEN 1 ELSE 0 END), 0) FROM flags", params)
        customer, matter, either = cursor.fetchone()
    return {"customer": int(customer), "matter": int(matter), "any": int(either)}


# ---- satisfaction, causes ----------------------------------------------------------------------------

def survey_groups(cohort: Cohort, index: int) -> list[dict]:
    """Surveys sent for one period's complaints by score (None: not answered)."""
    return list(Survey.objects.filter(cohort.where("complaint__", (index,))).order_by()
                .values("score").annotate(n=Count("id")))


def root_cause_groups(cohort: Cohort) -> list[tuple[str, int]]:
    return list(RootCause.objects.filter(cohort.where("complaint__")).order_by()
                .values_list("category").annotate(n=Count("id")))


# ---- traits of high-risk complaints ------------------------------------------------------------------

def _latest_assessments(cohort: Cohort) -> tuple[str, list]:
    latest = (RiskAssessment.objects.filter(complaint=OuterRef("pk")).order_by("-assessed_at", "-id")
              .values("pk")[:1])
    return (cohort.complaints().annotate(latest=Subquery(latest)).values("id", "risk_level", "latest")
            .query.sql_with_params())


def trait_groups(cohort: Cohort, trait: str) -> list[tuple[str, str, int]]:
    """(factor or rule, risk level, complaints) over the latest assessment of each complaint of the period."""
    complaints_sql, params = _latest_assessments(cohort)
    table = RiskAssessment._meta.db_table
    if trait == "factor":
        elements, code = json_elements("a.factors", "t"), json_text("t")
    else:
        elements, code = json_elements("a.reasons", "t"), json_field("t", "rule")
    sql = (f"SELECT {code} AS code, c.risk_level, COUNT(DISTINCT c.id) FROM ({complaints_sql}) c "
           f"JOIN {table} a ON a.id = c.latest {elements} GROUP BY {code}, c.risk_level")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(code, level, n) for code, level, n in cursor.fetchall() if code is not None]


def trait_ids(cohort: Cohort, trait: str, code: str) -> list[int]:
    """The complaints of the period whose latest assessment has this factor (or rule)."""
    complaints_sql, params = _latest_assessments(cohort)
    table = RiskAssessment._meta.db_table
    if trait == "factor":
        elements, column = json_elements("a.factors", "t"), json_text("t")
    else:
        elements, column = json_elements("a.reasons", "t"), json_field("t", "rule")
    sql = (f"SELECT DISTINCT c.id FROM ({complaints_sql}) c JOIN {table} a ON a.id = c.latest {elements} "
           f"WHERE {column} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, code])
        return [pk for (pk,) in cursor.fetchall()]


# ---- escalations, emergencies, improvements ---------------------------------------------------------

def escalation_groups(cohort: Cohort) -> list[dict]:
    return list(Escalation.objects.filter(cohort.where("complaint__")).order_by()
                .values("step", "deadline__stage")
                .annotate(n=Count("id"), met=Count("id", filter=Q(deadline__met_at__isnull=False)),
                          complaints=Count("complaint_id", distinct=True)))


def escalation_items(cohort: Cohort, limit: int) -> list[Escalation]:
    return list(Escalation.objects.filter(cohort.where("complaint__"))
                .select_related("complaint", "deadline").order_by("at", "id")[:limit])


def _plans(cohort: Cohort):
    linked = EmergencyPlan.complaints.through.objects.filter(complaint__in=cohort.complaints().values("pk"))
    return EmergencyPlan.objects.filter(pk__in=linked.values("emergencyplan_id"))


def emergency_groups(cohort: Cohort) -> list[dict]:
    in_time = Q(activated_at__isnull=False, activated_at__lte=F("golden_due_at"))
    return list(_plans(cohort).order_by().values("state")
                .annotate(n=Count("id"), in_golden_period=Count("id", filter=in_time)))


def emergency_items(cohort: Cohort, limit: int) -> list[EmergencyPlan]:
    from django.db.models import Prefetch

    mine = cohort.complaints().only("id", "tracking_number").order_by("received_at", "id")
    return list(_plans(cohort).order_by("proposed_at", "id")
                .prefetch_related(Prefetch("complaints", queryset=mine, to_attr="cohort_complaints"))[:limit])


def _carried_out() -> Exists:
    """Carried out after it was proposed: its complaint's follow-up clock started since (the carry-out step
    starts it), which stays true when the complaint is reopened later."""
    return Exists(Deadline.objects.filter(complaint=OuterRef("complaint_id"), stage=Stage.FOLLOW_UP.value,
                                          started_at__gte=OuterRef("proposed_at")))


def improvement_state_of(queryset, today: date):
    """Annotate `state`: pending, rejected, carried_out, overdue (approved, past its due date) or approved."""
    from django.db.models import Case, CharField, Value, When

    approved = Q(status=Solution.Decision.APPROVED)
    return queryset.annotate(carried=_carried_out()).annotate(state=Case(
        When(approved & Q(carried=True), then=Value("carried_out")),
        When(approved & Q(due_date__lt=today), then=Value("overdue")),
        When(approved, then=Value("approved")),
        default=F("status"), output_field=CharField()))


def improvement_groups(cohort: Cohort, today: date) -> list[tuple[str, int]]:
    solutions = Solution.objects.filter(cohort.where("complaint__")).order_by()
    return list(improvement_state_of(solutions, today).values_list("state").annotate(n=Count("id")))


def improvement_items(cohort: Cohort, today: date, limit: int) -> list[Solution]:
    solutions = Solution.objects.filter(cohort.where("complaint__")).select_related("complaint", "owner")
    return list(improvement_state_of(solutions, today).order_by("due_date", "id")[:limit])

