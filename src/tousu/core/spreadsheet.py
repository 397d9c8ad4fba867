"""Spreadsheet exports without formula injection (CSV/Excel "DDE" attacks): a text cell that a
spreadsheet would read as a formula (starting with = + - @, or a tab or carriage return before one) is
written with a leading apostrophe, which Excel, LibreOffice and WPS show as plain text. Plain Python."""

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` made safe for a spreadsheet cell. Numbers, dates and None pass as they are (a negative
    number is a number, not a formula); strings that could start a formula get a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [safe_cell(v) for v in values]
