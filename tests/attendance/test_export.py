"""The CSV export against its golden file, and the formula-injection guard."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from attendance.export import COLUMNS, ExportWords, neutralise, report_csv
from attendance.services.reports import ReportRow

GOLDEN = Path(__file__).with_name("expected_export.csv")
BERLIN = ZoneInfo("Europe/Berlin")


def _row(number: str, name: str, **changes: object) -> ReportRow:
    values: dict[str, object] = {
        "course_code": "BIO101", "course_name": "Biology, advanced", "timezone": "Europe/Berlin",
        "session_id": 7, "session_start": datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN),
        "session_end": datetime(2026, 3, 2, 10, 30, tzinfo=BERLIN), "student_id": 1,
        "student_number": number, "student_name": name, "status": "present",
        "first_seen": datetime(2026, 3, 2, 9, 4, 12, tzinfo=BERLIN), "sightings": 3,
        "source": "auto", "reason": None,
    }
    values.update(changes)
    return ReportRow(**values)  # type: ignore[arg-type]


ROWS = [
    _row("S001", "Zoë Ångström"),
    _row("S002", "李伟", status="late", first_seen=datetime(2026, 3, 2, 9, 15, tzinfo=BERLIN)),
    _row("S003", "=HYPERLINK(\"http://x\")", status="excused", first_seen=None, sightings=0,
         source="manual", reason='ill, "doctor\'s note"'),
    _row("+S004", "-minus", status="absent", first_seen=None, sightings=0, source="manual",
         reason="@SUM(A1)"),
    _row("S005", "\tTabbed\rName", status=None, first_seen=None, sightings=0, source=None),
]


def test_matches_golden_file() -> None:
    assert report_csv(ROWS) == GOLDEN.read_bytes()


def test_is_utf8_with_bom_and_parses_back() -> None:
    data = report_csv(ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(parsed[0]) == COLUMNS
    assert parsed[1][7] == "Zoë Ångström"
    assert parsed[3][7] == "'=HYPERLINK(\"http://x\")"
    assert parsed[3][12] == 'ill, "doctor\'s note"'
    assert parsed[4][6] == "'+S004"
    assert parsed[4][12] == "'@SUM(A1)"
    assert parsed[5][8] == ""  # nothing recorded yet


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_formula_triggers(trigger: str) -> None:
    assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"


@pytest.mark.parametrize("text", ["", "Anna", "2026-03-02", "a=b", "'quoted"])
def test_neutralise_leaves_plain_text(text: str) -> None:
    assert neutralise(text) == text


def test_empty_report_is_header_only() -> None:
    assert report_csv([]) == ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode("utf-8")


def test_session_state_and_incomplete_columns() -> None:
    rows = [_row("S001", "Ann", session_state="confirmed"),
            _row("S002", "Bob", session_incomplete=True)]
    parsed = list(csv.reader(io.StringIO(report_csv(rows).decode("utf-8-sig"), newline="")))
    states = [dict(zip(COLUMNS, r, strict=True)) for r in parsed[1:]]
    assert [(s["session_state"], s["incomplete"]) for s in states] == [
        ("confirmed", ""), ("provisional", "yes")]


def test_export_words_translate_headers_and_words_only() -> None:
    """Another language's words replace the headers and the status, source, state and
    "yes" values; dates, times, numbers, names and reasons stay as in the English file."""
    words = ExportWords(headers={"status": "Estado", "session_state": "Estado de la sesión"},
                        values={"present": "presente", "manual": "manual", "yes": "sí",
                                "provisional": "provisional"})
    rows = [_row("S001", "Ann"), _row("S002", "Bob", source="manual", reason="ill",
                                      session_incomplete=True)]
    parsed = list(csv.reader(io.StringIO(report_csv(rows, words).decode("utf-8-sig"),
                                         newline="")))
    assert parsed[0][COLUMNS.index("status")] == "Estado"
    assert parsed[0][0] == "course_code"  # a header without a translation stays
    first = dict(zip(COLUMNS, parsed[1], strict=True))
    second = dict(zip(COLUMNS, parsed[2], strict=True))
    assert (first["status"], first["source"], first["session_date"]) == (
        "presente", "auto", "2026-03-02")
    assert (second["source"], second["reason"], second["incomplete"]) == ("manual", "ill", "sí")


def test_a_header_is_guarded_like_a_cell() -> None:
    parsed = report_csv([], ExportWords(headers={"status": "=Estado"})).decode("utf-8-sig")
    assert "'=Estado" in parsed
