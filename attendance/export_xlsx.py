"""Attendance reports as an Excel workbook (XLSX), the same table as :mod:`attendance.export`.

Same :data:`~attendance.export.COLUMNS`, with values typed as a spreadsheet expects them:
``session_date`` is a date (``yyyy-mm-dd``), ``session_start`` and ``session_end`` are
times (``hh:mm``), ``first_seen`` a date and time (``yyyy-mm-dd hh:mm:ss``), all in the
course's time zone named in ``timezone``; ``sightings`` is a number; everything else is
text. The header row is bold and frozen.

Formula injection: every text cell is written as a string cell (never a formula) and
styled with Excel's own "quote prefix", which keeps it text even when someone edits the
cell. So, unlike the CSV export, no apostrophe is added to the text: ``=HYPERLINK(...)``
shows as typed and nothing runs.

Control characters (``attendance.control_chars``; tab, line feed and carriage return are
kept) are removed from every cell: XML, and so XLSX, cannot hold them, and a name stored
with one must not make the whole export fail.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from .control_chars import strip_control_characters
from .export import COLUMNS, ENGLISH, FORMULA_PREFIXES, ExportWords, header_row
from .services.reports import ReportRow

MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Number formats of the typed columns.
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
#: Column widths (characters) of the typed columns; text columns fit their header.
_WIDTHS = {"session_date": 12, "first_seen": 20}

Value = str | int | date | time | datetime | None


def report_xlsx(rows: Iterable[ReportRow], words: ExportWords = ENGLISH) -> bytes:
    """The XLSX file (bytes) of report ``rows``, header first, in ``words``' language."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = words.sheet_title[:31]  # Excel's limit for a sheet name
    headers = header_row(words)
    for column, header in enumerate(headers, start=1):
        _fill(sheet.cell(row=1, column=column), header)
        sheet.cell(row=1, column=column).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, row in enumerate(rows, start=2):
        for column, value in enumerate(row_values(row, words), start=1):
            _fill(sheet.cell(row=row_number, column=column), value)
    for column, (name, header) in enumerate(zip(COLUMNS, headers, strict=True), start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = max(
            12, len(header) + 2, _WIDTHS.get(name, 0))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_values(row: ReportRow, words: ExportWords = ENGLISH) -> list[Value]:
    """The cells of ``row`` in :data:`COLUMNS` order, typed (module docstring); local times
    are written without a zone (spreadsheets have none), the zone is in ``timezone``."""
    return [
        row.course_code,
        row.course_name,
        row.session_start.date(),
        row.session_start.time().replace(tzinfo=None, microsecond=0),
        row.session_end.time().replace(tzinfo=None, microsecond=0),
        row.timezone,
        row.student_number,
        row.student_name,
        words.value(row.status),
        row.first_seen.replace(tzinfo=None, microsecond=0) if row.first_seen else None,
        row.sightings,
        words.value(row.source),
        row.reason or "",
        words.value(row.session_state),
        words.value("yes") if row.session_incomplete else "",
    ]


def xlsx_text(cell: str) -> str:
    """A text cell made fit for XLSX: control characters removed (line breaks kept)."""
    return strip_control_characters(cell, allow_line_breaks=True)


def _fill(cell: Cell, value: Value) -> None:
    if isinstance(value, datetime):
        cell.value, cell.number_format = value, DATETIME_FORMAT
    elif isinstance(value, date):
        cell.value, cell.number_format = value, DATE_FORMAT
    elif isinstance(value, time):
        cell.value, cell.number_format = value, TIME_FORMAT
    elif isinstance(value, int) or value is None:
        cell.value = value
    elif not (text := xlsx_text(value)):
        cell.value = None  # an empty cell, not an empty string
    else:
        cell.value = text
        cell.data_type = "s"  # a string, even if openpyxl would take it for a formula
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True  # Excel keeps it text even when the cell is edited


__all__ = ["MIME_TYPE", "report_xlsx", "row_values", "xlsx_text"]
