"""Exported cells cannot smuggle a formula into the reader's spreadsheet."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from tousu.core.spreadsheet import safe_cell, safe_row


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_a_text_that_a_spreadsheet_would_run_is_escaped(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["热水壶冒烟", "a=b", "", None, -5, Decimal("-1.5"), date(2026, 1, 1), 0])
def test_plain_text_and_numbers_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_a_workbook_written_with_safe_cells_holds_no_formula(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(safe_row(["=1+1", "正常", -3]))
    book.save(tmp_path / "x.xlsx")
    cells = [c for c in openpyxl.load_workbook(tmp_path / "x.xlsx").active[1]]
    assert [c.data_type for c in cells] == ["s", "s", "n"] and cells[0].value == "'=1+1"
