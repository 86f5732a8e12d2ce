"""The XLSX export: control characters in stored names never make it fail."""

from __future__ import annotations

import io
from datetime import datetime
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
    assert xlsx_text("\x01=cmd()") == "'=cmd()"
    assert xlsx_text("'=cmd()") == "'=cmd()"  # already neutralised: unchanged
    assert xlsx_text("plain") == "plain"
