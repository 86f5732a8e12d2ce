"""Attendance reports as an Excel workbook (XLSX), the same table as :mod:`attendance.export`.

Same :data:`~attendance.export.COLUMNS`, same cell text and the same formula-injection
guard (a leading apostrophe before ``=``, ``+``, ``-``, ``@``, tab or carriage return): every
text cell is written as a string, never as a formula. ``sightings`` is a number. The header
row is bold and frozen.

Control characters (``attendance.control_chars``; tab, line feed and carriage return are
kept) are removed from every cell: XML, and so XLSX, cannot hold them, and a name stored
with one must not make the whole export fail. The formula guard is applied again after
removing them, so ``"\x01=cmd()"`` cannot turn into a live ``=cmd()``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font

from .control_chars import strip_control_characters
from .export import COLUMNS, neutralise, row_cells
from .services.reports import ReportRow

SHEET_TITLE = "Attendance"
MIME_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NUMERIC = frozenset({"sightings"})


def report_xlsx(rows: Iterable[ReportRow]) -> bytes:
    """The XLSX file (bytes) of report ``rows``, header first."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row_number, row in enumerate(rows, start=2):
        for column, (name, text) in enumerate(zip(COLUMNS, row_cells(row), strict=True),
                                              start=1):
            cell = sheet.cell(row=row_number, column=column)
            if name in _NUMERIC:
                cell.value = int(text)
            else:
                cell.value = xlsx_text(text)
                cell.data_type = "s"  # a string, even if openpyxl would guess otherwise
    for column, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = max(
            12, len(name) + 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_text(cell: str) -> str:
    """A CSV cell made fit for XLSX: control characters removed, formula guard re-applied."""
    return neutralise(strip_control_characters(cell, allow_line_breaks=True))
