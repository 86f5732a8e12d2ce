"""The XLSX export: control characters in stored names never make it fail."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import datetime, time
from zoneinfo import ZoneInfo

import openpyxl

from attendance.export_xlsx import report_xlsx, xlsx_text
from attendance.services.reports import ReportRow

BERLIN = ZoneInfo("Europe/Berlin")


def _row(number: str, name: str, reason: str | None = None) -> ReportRow:
    return ReportRow(
        course_code="BIO101", course_name="Biology", timezone="Europe/Berlin", session_id=7,
        session_start=datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN),
        session_end=datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN), student_id=1,
        student_number=number, student_name=name, status="present",
        first_seen=None, sightings=0, source="manual", reason=reason,
    )


def test_control_characters_are_stripped_from_cells() -> None:
    rows = [_row("S\x00001", "Ada\x07 Love\x1blace\x7f\x85", reason="line one\nline two")]
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx(rows)), read_only=True)
    try:
        cells = next(workbook.active.iter_rows(min_row=2, values_only=True))
    finally:
        workbook.close()
    assert cells[6] == "S001"
    assert cells[7] == "Ada Lovelace"
    assert cells[12] == "line one\nline two"  # a multi-line reason keeps its line break


def test_stripping_cannot_uncover_a_formula() -> None:
    rows = [_row("S1", "\x01=cmd()", reason="+1 for effort")]
    data = report_xlsx(rows)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")  # no formula at all
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    name, reason = workbook.active["H2"], workbook.active["M2"]
    assert (name.value, name.data_type, name.quotePrefix) == ("=cmd()", "s", True)
    assert (reason.value, reason.quotePrefix) == ("+1 for effort", True)
    assert xlsx_text("plain\x07") == "plain"


def test_text_keeps_no_protective_apostrophe_and_dates_are_dates() -> None:
    """The CSV's apostrophe guard is for CSV: in XLSX the cell type does that job, so a
    name like "-Dash" or "=Eq" reads as typed, and dates and times are real ones."""
    row = _row("-S1", "=Eq O'Neil")
    row = dataclasses.replace(row, first_seen=datetime(2026, 3, 2, 9, 4, 5, tzinfo=BERLIN),
                              sightings=4)
    workbook = openpyxl.load_workbook(io.BytesIO(report_xlsx([row])))
    sheet = workbook.active
    cells = {c.column_letter: c for c in sheet[2]}
    assert (cells["G"].value, cells["H"].value) == ("-S1", "=Eq O'Neil")
    assert cells["C"].value == datetime(2026, 3, 2)
    assert cells["C"].number_format == "yyyy-mm-dd"
    assert (cells["D"].value, cells["E"].value) == (time(9, 0), time(10, 30))
    assert cells["D"].number_format == "hh:mm"
    assert cells["J"].value == datetime(2026, 3, 2, 9, 4, 5)
    assert cells["J"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert cells["K"].value == 4
    assert cells["O"].value is None  # not incomplete: an empty cell
