"""Stream rows out of CSV and Excel files without loading them whole."""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from django.utils.translation import gettext as _

from tousu.complaints.uploads import MAX_ZIP_RATIO


class UnreadableFile(ValueError):
    pass


SUPPORTED = (".csv", ".xlsx")


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # Excel's "Unicode text" export: UTF-16 with its byte-order mark (tab-separated).
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A cut in the middle of a multi-byte character at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3:
            return "utf-8"
    # Windows exports of Chinese spreadsheets are GBK; GB18030 is its superset.
    return "gb18030"


def read_rows(stream: IO[bytes], filename: str) -> tuple[int | None, Iterator[list[object]]]:
    """(data-row count if cheaply known, iterator of rows with the header row first)."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        head = stream.read(65536)
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=_csv_encoding(head), newline="")
        return None, _csv_rows(text)
    if suffix == ".xlsx":
        return _xlsx_rows(stream)
    raise UnreadableFile(_("%(name)s: only .csv and .xlsx files can be imported") % {"name": filename})


def _csv_rows(text: io.TextIOWrapper) -> Iterator[list[object]]:
    csv.field_size_limit(1_000_000)
    try:
        header_line = text.readline()
        text.seek(0)
        # The header row decides the delimiter: complaint texts are full of commas and semicolons.
        delimiter = max(",\t;", key=header_line.count)
        yield from csv.reader(text, delimiter=delimiter)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_("the file is neither UTF-8 nor GBK text (%(error)s)") % {"error": exc}) from None


def _refuse_zip_bomb(stream: IO[bytes]) -> None:
    """A workbook is a zip; one that unpacks to far more than its size is refused before it is opened."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnreadableFile(_("not a readable Excel workbook (%(error)s)") % {"error": exc}) from None
    finally:
        stream.seek(0)
    if unpacked > max(size, 1) * MAX_ZIP_RATIO:
        raise UnreadableFile(_("not a readable Excel workbook: it would unpack to %(unpacked)d times its size")
                             % {"unpacked": unpacked // max(size, 1)})


def _xlsx_rows(stream: IO[bytes]) -> tuple[int | None, Iterator[list[object]]]:
    from openpyxl import load_workbook

    _refuse_zip_bomb(stream)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(_("not a readable Excel workbook (%(error)s)") % {"error": exc}) from None
    sheet = workbook.worksheets[0]
    total = (sheet.max_row - 1) if sheet.max_row else None

    def rows() -> Iterator[list[object]]:
        try:
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()

    return total, rows()
