"""The review as an Excel workbook (openpyxl): a sheet per section with native Excel charts, and the
period's complaints as raw rows. Every figure's cell links to the complaints behind it. A text that Excel
would read as a formula (= + - @, or a leading tab or return) is written with a leading apostrophe."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font

from tousu.core.spreadsheet import safe_cell
from tousu.reports.cohort import Cohort
from tousu.reports.labels import label_of
from tousu.timeline import SHANGHAI

RAW_COLUMNS = ("tracking_number", "received_at", "channel", "complaint_type", "risk_level", "severity_grade",
               "emergency", "status", "department__name", "product", "lot", "region", "closed_at")


def safe(value: Any) -> Any:
    """A cell value that cannot run as a formula when the workbook is opened (core.spreadsheet)."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None)  # Excel has no time zones: local time
    return safe_cell(value)


class _Sheet:
    """A write-only sheet that knows which row it is on, so tables and charts can be placed below each other."""

    def __init__(self, workbook: Workbook, title: str, base_url: str):
        self.ws = workbook.create_sheet(title[:31])
        self.row = 0
        self.base_url = base_url
        self.bold = Font(bold=True)

    def cell(self, value: Any, *, link: str = "", bold: bool = False) -> Cell:
        cell = WriteOnlyCell(self.ws, value=safe(value))
        if link:
            cell.hyperlink = self.base_url + link
        if bold:
            cell.font = self.bold
        return cell

    def append(self, values: Iterable[Any]) -> int:
        self.ws.append([v if isinstance(v, Cell) else self.cell(v) for v in values])
        self.row += 1
        return self.row

    def heading(self, text: str) -> None:
        self.append([self.cell(text, bold=True)])

    def blank(self) -> None:
        self.append([])

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[int, int]:
        """Write a header and rows (a (value, link) pair makes a linked cell); the first and last data row."""
        self.append([self.cell(h, bold=True) for h in header])
        first = self.row + 1
        for row in rows:
            self.append([self.cell(v[0], link=v[1]) if isinstance(v, tuple) else v for v in row])
        return first, self.row

    def chart(self, chart, anchor_column: str, anchor_row: int) -> None:
        self.ws.add_chart(chart, f"{anchor_column}{anchor_row}")


def _bar(title: str, sheet: _Sheet, labels: int, values: Sequence[int], first: int, last: int, *,
         horizontal: bool = True, percent: bool = False) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.style = 10
    chart.height, chart.width = max(6.0, 0.6 * (last - first + 1) + 3), 16.0
    for column in values:
        chart.add_data(Reference(sheet.ws, min_col=column, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=labels, min_row=first, max_row=last))
    if horizontal:
        chart.y_axis.majorGridlines = None
    if percent:
        chart.y_axis.number_format = "0%"
    return chart


def write_workbook(review: dict, cohort: Cohort, out: IO[bytes]) -> None:
    base = settings.TOUSU_BASE_URL.rstrip("/")
    workbook = Workbook(write_only=True)

    def sheet(title: str) -> _Sheet:
        return _Sheet(workbook, title, base)

    _summary(sheet(_("Summary")), review)
    _counts(sheet(_("Counts")), review)
    _time_limits(sheet(_("Time limits")), review)
    _quality(sheet(_("Satisfaction")), review)
    _pareto(sheet(_("Root causes")), review)
    _trend(sheet(_("Trend")), review)
    _high_risk(sheet(_("High-risk traits")), review)
    _escalations(sheet(_("Escalations and emergencies")), review)
    _improvements(sheet(_("Improvements")), review)
    _raw(sheet(_("Complaint rows")), cohort)
    workbook.save(out)


def _summary(s: _Sheet, r: dict) -> None:
    s.heading(_("Review") + f" {r['period']['from']} – {r['period']['to']}")
    if r["period"]["department"]:
        s.append([_("department"), r["period"]["department_name"]])
    s.append([_("As of"), r["generated_at"]])
    s.append([_("Policy"), r["policy"]])
    s.blank()
    s.table([_("Figure"), _("Value")], [
        (_("Complaints"), (r["complaints"]["count"], r["complaints"]["link"])),
        (_("High risk"), (r["high_risk"]["complaints"], r["high_risk"]["link"])),
        (_("On-time rate"), r["time_limits"]["on_time_rate"]),
        (_("Reopen rate"), r["reopen"]["rate"]),
        (_("Repeat rate"), r["repeat"]["rate"]),
        (_("Mean satisfaction"), r["satisfaction"]["mean"]),
        (_("Share unsatisfied"), r["satisfaction"]["unsatisfied_share"]),
        (_("Emergencies"), (r["emergencies"]["count"], r["emergencies"]["link"])),
        (_("Escalations"), (r["escalations"]["count"], r["escalations"]["link"])),
        (_("Improvement actions"), (r["improvements"]["count"], r["improvements"]["link"])),
    ])


def _counts(s: _Sheet, r: dict) -> None:
    for dimension, block in r["counts"].items():
        s.heading(_dimension_title(dimension))
        first, last = s.table([_dimension_title(dimension), _("Complaints"), _("share")],
                              [(item["label"], (item["count"], item["link"]), item["share"]) for item in block["items"]])
        if block["other_values"]:
            s.append([_("%(n)s other values") % {"n": block["other_values"]}, block["other_count"]])
        if last >= first:
            s.chart(_bar(_dimension_title(dimension), s, 1, [2], first, last), "E", first - 1)
        for _padding in range(max(2, 12 - (last - first))):
            s.blank()


def _dimension_title(dimension: str) -> str:
    return {"type": _("complaint type"), "level": _("risk level"), "grade": _("severity grade"),
            "defect_grade": _("defect grade"), "channel": _("channel"), "department": _("department"),
            "region": _("region"), "product": _("product / model"), "lot": _("production lot")}.get(dimension, dimension)


def _time_limits(s: _Sheet, r: dict) -> None:
    s.heading(_("Time limits"))
    header = [_("stage"), _("limit"), _("clocks"), _("on time"), _("late"), _("overdue"), _("paused"), _("running"),
              _("on-time rate"), _("mean time used"), _("unit"), _("share of the limit")]
    first, last = s.table(header, [
        (stage["label"], "", stage["clocks"], (stage["on_time"], stage["links"]["on_time"]),
         (stage["late"], stage["links"]["late"]), (stage["overdue"], stage["links"]["overdue"]),
         (stage["paused"], stage["links"]["paused"]), (stage["running"], stage["links"]["running"]),
         stage["on_time_rate"], None, "", stage["mean_used_share"]) for stage in r["time_limits"]["stages"]])
    if last >= first:
        s.chart(_bar(_("On-time rate"), s, 1, [9], first, last, percent=True), "N", 1)
    s.blank()
    s.heading(_("By limit"))
    s.table(header, [
        (stage["label"], (limit["label"], limit["link"]), limit["clocks"], limit["on_time"], limit["late"],
         limit["overdue"], limit["paused"], limit["running"], limit["on_time_rate"], limit["mean_used"],
         limit["unit_label"], limit["mean_used_share"])
        for stage in r["time_limits"]["stages"] for limit in stage["limits"]])


def _quality(s: _Sheet, r: dict) -> None:
    reopen, repeat, sat = r["reopen"], r["repeat"], r["satisfaction"]
    s.heading(_("Reopened, repeated, satisfaction"))
    s.table([_("Figure"), _("Value"), _("of"), _("rate")], [
        (_("Reopened"), (reopen["reopened"], reopen["link"]), reopen["complaints"], reopen["rate"]),
        (_("Repeats"), (repeat["repeats"], repeat["links"]["any"]), repeat["complaints"], repeat["rate"]),
        (_("same customer"), (repeat["same_customer"], repeat["links"]["customer"]), repeat["complaints"], None),
        (_("same matter"), (repeat["same_matter"], repeat["links"]["matter"]), repeat["complaints"], None),
        (_("Surveys answered"), (sat["answered"], sat["links"]["answered"]), sat["surveys"], sat["response_rate"]),
        (_("Unsatisfied"), (sat["unsatisfied"], sat["links"]["unsatisfied"]), sat["answered"], sat["unsatisfied_share"]),
        (_("Mean satisfaction"), sat["mean"], None, None),
    ])
    s.blank()
    first, last = s.table([_("score"), _("Complaints"), _("share")],
                          [(d["score"], (d["count"], d["link"]), d["share"]) for d in sat["distribution"]])
    s.chart(_bar(_("Satisfaction"), s, 1, [2], first, last, horizontal=False), "F", first - 1)


def _pareto(s: _Sheet, r: dict) -> None:
    s.heading(_("Root causes (Pareto)"))
    pareto = r["root_causes"]["pareto"]
    first, last = s.table([_("cause category"), _("Complaints"), _("share"), _("cumulative")],
                          [(p["label"], (p["count"], p["link"]), p["share"], p["cumulative_share"]) for p in pareto])
    s.append([_("no root cause recorded"), (r["root_causes"]["without_cause"])])
    if last >= first:
        bars = _bar(_("Root causes (Pareto)"), s, 1, [2], first, last, horizontal=False)
        line = LineChart()
        line.add_data(Reference(s.ws, min_col=4, min_row=first - 1, max_row=last), titles_from_data=True)
        line.y_axis.axId = 200
        line.y_axis.number_format = "0%"
        line.y_axis.scaling.min, line.y_axis.scaling.max = 0, 1
        line.y_axis.crosses = "max"
        bars += line
        s.chart(bars, "G", 1)


def _trend(s: _Sheet, r: dict) -> None:
    periods = r["trend"]["periods"]
    s.heading(_("Compared with earlier periods"))
    header = ["", f"{_('This period')} {periods['current']['from']}–{periods['current']['to']}",
              f"{_('Previous period')} {periods['previous']['from']}–{periods['previous']['to']}", _("change"),
              f"{_('Same period last year')} {periods['last_year']['from']}–{periods['last_year']['to']}", _("change")]

    def value(f: dict, key: str):
        links = f.get("links")
        return (f[key], links[key]) if links and f[key] is not None else f[key]

    rows = [(f["label"], value(f, "current"), value(f, "previous"), f["change_previous"], value(f, "last_year"),
             f["change_last_year"]) for f in r["trend"]["figures"]]
    first, _last = s.table(header, rows)
    chart = _bar(_("Trend"), s, 1, [2, 3, 5], first, first + 2, horizontal=False)
    s.chart(chart, "H", 1)


def _high_risk(s: _Sheet, r: dict) -> None:
    high = r["high_risk"]
    s.heading(_("What high-risk complaints have in common"))
    s.append([_("High risk"), s.cell(high["complaints"], link=high["link"]), high["share"]])
    chart_at = None
    for kind, traits in high["traits"].items():
        s.blank()
        s.heading(_trait_title(kind))
        first, last = s.table([_trait_title(kind), _("high risk"), _("share of high risk"), _("all"), _("share of all"),
                               _("lift")],
                              [(t["label"], (t["high"], t["links"]["high"]), t["high_share"], (t["all"], t["links"]["all"]),
                                t["all_share"], t["lift"]) for t in traits])
        if kind == "factor" and last >= first:
            chart_at = (first, last)
    if chart_at:
        s.chart(_bar(_("Risk factors"), s, 1, [3, 5], *chart_at, percent=True), "I", 2)


def _trait_title(kind: str) -> str:
    return {"factor": _("Risk factors"), "rule": _("Rules"), "type": _("complaint type"), "channel": _("channel"),
            "product": _("product / model"), "region": _("region"), "lot": _("production lot")}.get(kind, kind)


def _escalations(s: _Sheet, r: dict) -> None:
    esc, plans = r["escalations"], r["emergencies"]
    s.heading(_("Escalations"))
    first, last = s.table([_("step"), _("escalations"), _("clock met since"), _("still open")],
                          [(e["label"], (e["count"], e["link"]), e["clock_met"], e["clock_open"]) for e in esc["by_step"]])
    if last >= first:
        s.chart(_bar(_("Escalations"), s, 1, [3, 4], first, last), "H", 1)
    s.blank()
    s.table([_("tracking number"), _("stage"), _("step"), _("at"), _("due at"), _("outcome"), _("status")],
            [((e["tracking_number"], e["link"]), e["stage_label"], e["step_label"], e["at"], e["due_at"],
              e["clock_met_at"] or _("still open"), e["status_label"]) for e in esc["items"]])
    s.blank()
    s.heading(_("Emergency plans"))
    s.table([_("state"), _("plans")], [(p["label"], (p["count"], p["link"])) for p in plans["by_state"]])
    s.blank()
    s.table([_("title"), _("state"), _("proposed at"), _("acknowledge by"), _("activated at"), _("closed at"),
             _("closing review"), _("complaints")],
            [((p["title"], p["link"]), p["state_label"], p["proposed_at"], p["golden_due_at"], p["activated_at"],
              p["closed_at"], p["closing_review"], " ".join(p["complaints"])) for p in plans["items"]])


def _improvements(s: _Sheet, r: dict) -> None:
    imp = r["improvements"]
    s.heading(_("Improvement actions"))
    first, last = s.table([_("state"), _("Improvement actions")],
                          [(i["label"], (i["count"], i["link"])) for i in imp["by_state"]])
    if last >= first:
        s.chart(_bar(_("Improvement actions"), s, 1, [2], first, last), "H", 1)
    s.blank()
    s.table([_("tracking number"), _("measures"), _("carried out by"), _("due date"), _("compensation amount"),
             _("state")],
            [((i["tracking_number"], i["link"]), i["measures"], i["owner"], i["due_date"], i["compensation"],
              i["state_label"]) for i in imp["items"]])


def _raw(s: _Sheet, cohort: Cohort) -> None:
    """The period's complaints, one row each, without personal data (no name, phone or email)."""
    from tousu.reports.links import complaint

    header = [_("tracking number"), _("received at"), _("channel"), _("complaint type"), _("risk level"),
              _("severity grade"), _("emergency"), _("status"), _("department"), _("product / model"),
              _("production lot"), _("region"), _("closed at")]
    s.append([s.cell(h, bold=True) for h in header])
    rows = cohort.complaints().order_by("received_at", "id").values_list(*RAW_COLUMNS)
    labels: dict[tuple, str] = {}

    def word(dimension: str, code) -> str:
        key = (dimension, code)
        if key not in labels:
            labels[key] = label_of(dimension, code)
        return labels[key]

    for number, received, channel, kind, level, grade, emergency, status, department, product, lot, region, closed \
            in rows.iterator(chunk_size=2000):
        s.append([s.cell(number, link=complaint(number)), received, word("channel", channel), word("type", kind),
                  word("level", level), grade, _("yes") if emergency else _("no"), word("status", status),
                  department or "", product, lot, region, closed])
