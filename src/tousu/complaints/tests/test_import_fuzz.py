"""The importers under malformed input: random bytes or a random zip named .xlsx, a truncated workbook, a
zip bomb, CSV in UTF-8, UTF-8 with BOM, GBK and UTF-16 with BOM, huge cells, empty files, a header alone
and rows of random text. A file that cannot be read is refused with a reason and stores nothing; a
readable file stores exactly its good rows and names every bad one by row.

Bounded and repeatable: a fixed number of derandomised examples per property.
"""

import csv
import io
import zipfile

import pytest
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from tousu.complaints.models import Complaint
from tousu.intake.imports import import_file

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

HEADER = ["投诉内容", "联系电话", "金额"]
# Common Chinese characters (all in GBK), letters, digits and the punctuation a CSV must quote.
COMMON = "投诉产品质量问题退款服务态度差快递没有送到电话打不通要求赔偿热水壶漏电信用卡年费银行账单多收了"
texts = st.text(alphabet=COMMON + "abcXYZ0123456789，。！,;\"' \n", min_size=1, max_size=60).filter(
    lambda t: t.strip())


@pytest.fixture(autouse=True)
def _english_reasons():
    with translation.override("en"):
        yield


def run(content: bytes, name: str):
    before = Complaint.objects.count()
    report = import_file(io.BytesIO(content), name, by=None, now=timezone.now())
    assert Complaint.objects.count() - before == report.created
    return report


def refused(report) -> bool:
    return report.created == 0 and len(report.errors) == 1 and report.errors[0].reason.strip() != ""


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_named_csv_are_refused_or_read_row_by_row(content):
    report = run(content, "export.csv")
    assert report.created == 0  # no header of random bytes names the complaint text
    assert report.errors and all(e.reason for e in report.errors)


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes_named_xlsx_are_refused_and_store_nothing(content):
    report = run(content, "export.xlsx")
    assert refused(report) and "Excel" in report.errors[0].reason


MEMBERS = ["[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "_rels/.rels",
           "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "docProps/app.xml", "random.bin"]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(MEMBERS), st.binary(max_size=300)), max_size=6, unique_by=lambda m: m[0]))
def test_a_random_zip_named_xlsx_is_refused_and_stores_nothing(members):
    report = run(zip_bytes(members), "export.xlsx")
    assert report.created == 0 and report.errors and all(e.reason for e in report.errors)


@FUZZ
@given(st.lists(texts, min_size=1, max_size=5, unique=True), st.floats(min_value=0.0, max_value=0.99))
def test_a_truncated_workbook_is_refused_and_stores_nothing(rows, keep):
    content = workbook_bytes([HEADER, *[[text, "", ""] for text in rows]])
    report = run(content[: int(len(content) * keep)], "export.xlsx")
    assert refused(report) and "Excel" in report.errors[0].reason


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_unpacked():
    bomb = zip_bytes([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>"),
                      ("xl/worksheets/sheet1.xml", b" " * 50_000_000)])
    assert len(bomb) < 100_000
    report = run(bomb, "bomb.xlsx")
    assert refused(report) and "unpack" in report.errors[0].reason


@FUZZ
@given(st.lists(texts, min_size=1, max_size=6, unique_by=str.strip),
       st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16"]))
def test_rows_in_every_encoding_are_stored_as_written(rows, encoding):
    # Excel's Unicode text export is UTF-16 with a byte-order mark and tabs between the columns.
    delimiter = "\t" if encoding == "utf-16" else ","
    report = run(csv_bytes([HEADER, *[[text, "", ""] for text in rows]], encoding, delimiter), "export.csv")
    assert report.errors == [] and report.created + report.duplicates == len(rows)
    stored = set(Complaint.objects.values_list("text", flat=True))
    assert {text.strip() for text in rows} <= stored


@FUZZ
@given(st.lists(st.lists(st.text(max_size=30), max_size=5), max_size=8))
def test_rows_of_random_cells_are_stored_or_named_by_row(rows):
    report = run(csv_bytes([HEADER, *rows]), "export.csv")
    data_rows = [n for n, row in enumerate(rows, start=2) if any(cell != "" for cell in row)]
    named = {e.row for e in report.errors}
    assert report.created + report.duplicates + len(named) >= len(data_rows)
    assert named <= set(data_rows) | {2}


@FUZZ
@given(st.sampled_from([20_001, 200_000, 1_000_001]), st.integers(min_value=0, max_value=2))
def test_a_huge_cell_is_named_by_row_and_not_stored(length, position):
    rows = [["热水壶漏电", "", ""], ["快递没有送到", "", ""], ["年费多收", "", ""]]
    rows[position] = ["投" * length, "", ""]
    report = run(csv_bytes([HEADER, *rows]), "export.csv")
    assert (position + 2) in {e.row for e in report.errors}
    assert not Complaint.objects.filter(text__startswith="投投投").exists()


@pytest.mark.parametrize("amount", ["999999999999.995", "999999999999.999", "1000000000000"])
def test_an_amount_that_rounds_to_a_trillion_is_named_and_not_stored(amount):
    # The amount column holds 12 digits of yuan: PostgreSQL refused such a row and failed its whole batch.
    report = run(csv_bytes([HEADER, ["热水壶漏电", "", amount], ["快递没有送到", "", "12.5"]]), "export.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "金额")] and report.created == 1


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n", b"\xff\xfe"])
def test_an_empty_file_is_refused_as_empty(content):
    report = run(content, "export.csv")
    assert refused(report) and "empty" in report.errors[0].reason


@pytest.mark.parametrize("name", ["export.csv", "export.xlsx"])
def test_a_header_alone_is_refused_saying_there_are_no_complaints(name):
    content = csv_bytes([HEADER]) if name.endswith(".csv") else workbook_bytes([HEADER])
    report = run(content, name)
    assert refused(report) and "no complaints" in report.errors[0].reason
