"""The review's outputs: the Excel workbook (sheets, native charts, raw rows, no formulas from data), the
printable HTML (A4, charts inline, nothing fetched), the command and the API (the same JSON)."""

import io
import json
import re
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from tousu.accounts.roles import Role
from tousu.reports.cohort import Cohort
from tousu.reports.period import Period
from tousu.reports.printable import render_printable
from tousu.reports.tests.helpers import HIGH_SAFETY, LOW, MEDIUM, at, complaint, review_of
from tousu.reports.xlsx import safe, write_workbook
from tousu.testing import bearer, make_user
from tousu.workflow.models import RootCause

pytestmark = pytest.mark.django_db
NOW = at(2026, 12, 3, 10, 0)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def _some_complaints():
    complaint(LOW, received=at(2026, 11, 2, 9), product="=HYPERLINK(\"evil.example/x\",\"点我\")",
              lot="+1+2", region="@SUM(A1)", phone="13900000401")
    complaint(MEDIUM, received=at(2026, 11, 3, 9), product="-3", phone="13900000402")
    hurt = complaint(HIGH_SAFETY, received=at(2026, 11, 4, 9), channel="social", phone="13900000403")
    RootCause.objects.create(complaint=hurt, category="设计", whys=["为什么"], updated_by=make_user(Role.QUALITY),
                             updated_at=NOW)


def _workbook():
    review = review_of(*NOVEMBER, now=NOW)
    out = io.BytesIO()
    write_workbook(review, Cohort(Period(*NOVEMBER)), out)
    out.seek(0)
    return review, load_workbook(out)


def test_the_workbook_opens_with_a_sheet_per_section_and_native_charts():
    _some_complaints()
    _review, book = _workbook()
    assert book.sheetnames == ["概览", "分类统计", "处理时限", "满意度", "根因", "趋势", "高风险特征", "升级与应急",
                               "改进措施", "投诉明细"]
    for name in ("分类统计", "处理时限", "根因", "趋势", "高风险特征"):
        assert book[name]._charts, f"{name} has no chart"
    pareto = book["根因"]._charts[0]
    assert len(pareto._charts) == 2  # bars and the cumulative line on a second axis


def test_the_workbook_has_the_raw_rows_and_links_to_the_complaints():
    _some_complaints()
    review, book = _workbook()
    rows = list(book["投诉明细"].iter_rows(values_only=True))
    assert len(rows) == 1 + review["complaints"]["count"] == 4
    assert rows[0][0] == "投诉编号"
    first = book["投诉明细"]["A2"]
    assert first.hyperlink.target == f"http://127.0.0.1:8000/complaints/{first.value}/"
    counts = book["分类统计"]
    linked = [c for row in counts.iter_rows() for c in row if c.hyperlink]
    assert linked and all("/complaints/?received_from=2026-11-01&received_to=2026-11-30" in c.hyperlink.target
                          or "/reports/complaints/?from=2026-11-01&to=2026-11-30" in c.hyperlink.target for c in linked)


def test_cells_that_excel_would_run_as_formulas_are_written_as_text():
    _some_complaints()
    _review, book = _workbook()
    values = {c.value for row in book["投诉明细"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "'=HYPERLINK(\"evil.example/x\",\"点我\")" in values
    assert {"'+1+2", "'@SUM(A1)", "'-3"} <= values
    assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows() for c in row)
    assert safe("-") == "'-" and safe("\tx") == "'\tx" and safe("正常") == "正常" and safe(-3) == -3


def test_the_printable_report_prints_on_a4_with_inline_charts_and_no_address_outside():
    _some_complaints()
    html = render_printable(review_of(*NOVEMBER, now=NOW))
    assert "http://" not in html and "https://" not in html
    assert "@page { size: A4" in html and html.count("<svg") >= 4
    assert not re.search(r"<(script|link|img|iframe|object)\b|url\(", html)  # nothing to fetch
    assert all(href.startswith("/") for href in re.findall(r'href="([^"]*)"', html))
    assert "=HYPERLINK(&quot;evil.example/x&quot;" in html  # data shown as text, escaped


def test_the_command_writes_the_same_json_the_api_answers(client, tmp_path):
    _some_complaints()
    out = io.StringIO()
    xlsx, html = tmp_path / "review.xlsx", tmp_path / "review.html"
    call_command("report", "--from", "2026-11-01", "--to", "2026-11-30", "--json", "--xlsx", str(xlsx),
                 "--html", str(html), "--now", "2026-12-03T10:00", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["complaints"]["count"] == 3 and printed["period"] == {
        "from": "2026-11-01", "to": "2026-11-30", "days": 30, "department": None, "department_name": None}
    assert load_workbook(xlsx)["概览"]["A1"].value.startswith("复盘")
    assert "https://" not in html.read_text(encoding="utf-8")
    answered = client.get("/api/reports?from=2026-11-01&to=2026-11-30", headers=bearer(make_user(Role.ANALYST))).json()
    for key in ("generated_at", "time_limits"):  # as of now, not as of --now
        answered.pop(key), printed.pop(key)
    assert answered == printed


def test_the_command_prints_a_summary_and_names_a_bad_date():
    complaint(LOW, received=at(2026, 11, 2, 9))
    out = io.StringIO()
    call_command("report", "--from", "2026-11-01", "--to", "2026-11-30", "--now", "2026-12-03T10:00", stdout=out)
    assert "复盘 2026-11-01 – 2026-11-30" in out.getvalue() and "投诉：1" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--from"):
        call_command("report", "--from", "2026-13-01", "--to", "2026-11-30")
