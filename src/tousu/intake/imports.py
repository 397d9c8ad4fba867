"""Bulk import (R-IN-4): bad rows are reported with row, column and reason and never stop good rows;
re-importing the same file creates nothing new."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from django.utils.translation import get_language, override
from django.utils.translation import gettext as _

from tousu.accounts.models import User
from tousu.complaints.importers.columns import map_headers
from tousu.complaints.importers.readers import UnreadableFile, read_rows
from tousu.complaints.validation import IntakeError, validate_intake
from tousu.core.heap import settled_heap
from tousu.core.sqlite import large_page_cache
from tousu.intake.assessing import Workers
from tousu.intake.batch_history import Remembered
from tousu.intake.pipeline import BatchItem, BatchResult, record_batch

BATCH_SIZE = 2000


@dataclass
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    created: int = 0
    duplicates: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    tracking_numbers: list[str] = field(default_factory=list)
    total_rows: int | None = None  # data rows in the file, where the format tells it cheaply (.xlsx)

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "duplicates": self.duplicates,
                "errors": [e.as_dict() for e in self.errors]}


Progress = Callable[[ImportReport, int], None]


def import_file(stream: IO[bytes], filename: str, *, by: User | None, now: datetime,
                default_channel: str = "", progress: Progress | None = None,
                keep_tracking_numbers: int = 1000, resume: ImportReport | None = None,
                after_row: int = 0) -> ImportReport:
    """Import every good row of a .csv or .xlsx file. After each batch is committed, `progress(report,
    row)` is told the report so far and the last row read. An interrupted import goes on with `resume`
    (its report so far) and `after_row` (the last row of its last committed batch): earlier rows are
    skipped, so the report counts each row once."""
    with settled_heap(), large_page_cache(), Workers() as workers:
        return _import(stream, filename, by=by, now=now, default_channel=default_channel, progress=progress,
                       keep_tracking_numbers=keep_tracking_numbers, report=resume or ImportReport(),
                       after_row=after_row, workers=workers, remembered=Remembered())


def _import(stream: IO[bytes], filename: str, *, by: User | None, now: datetime, default_channel: str,
            progress: Progress | None, keep_tracking_numbers: int, report: ImportReport,
            after_row: int, workers: Workers, remembered: Remembered) -> ImportReport:
    header_row = 1
    try:
        report.total_rows, rows = read_rows(stream, filename)
        header = next(rows, None)
        while header is not None and not any(cell not in (None, "") for cell in header):
            header, header_row = next(rows, None), header_row + 1  # blank lines above the header
    except UnreadableFile as exc:
        report.errors.append(RowError(0, "", str(exc)))
        return report
    except Exception as exc:  # a malformed CSV line (a cell past the size limit …) in the header
        report.errors.append(RowError(header_row, "", _("this row cannot be read (%(error)s); the rows after it "
                                                        "were not read") % {"error": exc}))
        return report
    if header is None:
        report.errors.append(RowError(1, "", _("the file is empty")))
        return report
    mapping, report.ignored_columns = map_headers(header)
    if "text" not in mapping.values():
        report.errors.append(RowError(header_row, "text",
                                      _("no column holds the complaint text (text / 投诉内容)")))
        return report
    label = {index: str(header[index]).strip() for index in mapping}
    column_of = {name: label[index] for index, name in mapping.items()}

    batches = _batches(rows, header_row, after_row=after_row, mapping=mapping, column_of=column_of,
                       default_channel=default_channel, now=now)
    # Each batch is stored while the next is read (its rows' errors kept aside until then): the next one is
    # made ready inside the batch before (`record_batch`'s `ahead`), and the one after that is read and
    # validated in a thread meanwhile, in the moments the batch's own thread waits for SQLite or the workers.
    language = get_language()

    def read_next() -> _Batch:
        with override(language):  # its row errors in the importer's language
            return next(batches)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-reader") as reader:
        batch = next(batches)
        following = next(batches) if not batch.last else None
        prepared = None
        while True:
            # (Not while the workers may still be forked, in `record_batch`: a process forked while another
            # thread holds a lock may wait for it forever.)
            after = (reader.submit(read_next) if following is not None and not following.last
                     and not workers.may_fork else None)
            report.errors.extend(batch.errors)
            if batch.items:
                result = record_batch(batch.items, by=by, now=now, origin=filename, workers=workers,
                                      remembered=remembered, prepared=prepared,
                                      ahead=following.items if following is not None else ())
                prepared = result.ahead
                _count(result, report, keep=keep_tracking_numbers)
            if following is None:
                break
            if progress:
                progress(report, batch.row)
            batch = following
            following = after.result() if after is not None else next(batches) if not batch.last else None
    if not batch.complaints_seen and not report.errors:
        report.errors.append(RowError(header_row + 1, "", _("there are no complaints under the header row")))
    if progress:
        progress(report, batch.row)
    return report


@dataclass
class _Batch:
    items: list[BatchItem] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row: int = 0  # the last row read
    complaints_seen: bool = False  # this batch or one before held a row that was not blank
    last: bool = False  # no rows after it


def _batches(rows, header_row: int, *, after_row: int, mapping: dict, column_of: dict, default_channel: str,
             now: datetime) -> Iterator[_Batch]:
    """The validated rows in batches of BATCH_SIZE, each with its rows' errors; the last one says so."""
    batch = _Batch(row=header_row, complaints_seen=after_row > 1)
    row_number = header_row
    try:
        for row in rows:
            row_number += 1
            batch.row = row_number
            if row_number <= after_row:
                continue  # stored (or reported) before the interruption
            if not any(cell not in (None, "") for cell in row):
                continue  # blank lines are not complaints
            batch.complaints_seen = True
            values = {name: row[index] for index, name in mapping.items() if index < len(row)}
            if default_channel and values.get("channel") in (None, ""):
                values["channel"] = default_channel
            try:
                data = validate_intake(values, now=now)
            except IntakeError as exc:
                batch.errors.extend(RowError(row_number, column_of.get(e.field, e.field), e.reason)
                                    for e in exc.errors)
                continue
            batch.items.append(BatchItem(data, row_number))
            if len(batch.items) >= BATCH_SIZE:
                yield batch
                batch = _Batch(row=row_number, complaints_seen=True)
    except UnreadableFile as exc:
        batch.errors.append(RowError(row_number, "", str(exc)))
    except Exception as exc:  # a malformed CSV line: keep what came before, name the row that broke
        batch.errors.append(RowError(row_number + 1, "", _("this row cannot be read (%(error)s); the rows after "
                                                           "it were not read") % {"error": exc}))
    batch.last = True
    yield batch


def _count(result: BatchResult, report: ImportReport, *, keep: int) -> None:
    report.created += result.created
    report.duplicates += result.duplicates
    room = keep - len(report.tracking_numbers)
    if room > 0:
        report.tracking_numbers.extend(result.tracking_numbers[:room])
