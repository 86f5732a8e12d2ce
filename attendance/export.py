"""Attendance reports as CSV that spreadsheets open safely.

The bytes are UTF-8 with a byte-order mark (so Excel shows non-ASCII names correctly), comma
separated, CRLF line ends (RFC 4180), one header row, then one row per student and session.

Columns (times in the course's time zone, named in ``timezone``):

==============  =================================================================
course_code     the course's code
course_name     the course's name
session_date    local date the session starts, YYYY-MM-DD
session_start   local start time, HH:MM
session_end     local end time, HH:MM
timezone        IANA time zone of the times in this row
student_number  the student's number
student_name    the student's display name
status          present, late, absent or excused; empty while nothing is recorded
first_seen      local time of the first sighting, YYYY-MM-DD HH:MM:SS; empty if never seen
sightings       how many times the camera saw the student in that session
source          auto (camera) or manual (a teacher's correction); empty with no record
reason          the reason given for a manual correction
session_state   provisional (automatic marks not yet confirmed by a teacher) or confirmed
incomplete      yes when the camera covered less than min_frame_coverage of the session
                (nobody was then marked absent automatically), else empty
==============  =================================================================

Headers and words: the names above, and the status, source, session state and "yes"
values, are the file's English form. :class:`ExportWords` gives them in another language
(the dashboard passes the words of the person exporting); dates, times and numbers stay in
the ISO forms above, which every spreadsheet reads whatever its language.

Formula injection: a spreadsheet runs a cell starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return as a formula, so such text cells are prefixed with an apostrophe (OWASP's
advice); the apostrophe is shown but nothing runs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .services.reports import ReportRow

COLUMNS = (
    "course_code", "course_name", "session_date", "session_start", "session_end", "timezone",
    "student_number", "student_name", "status", "first_seen", "sightings", "source", "reason",
    "session_state", "incomplete",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


@dataclass(frozen=True)
class ExportWords:
    """The words of a report file in the reader's language: ``headers`` by column name,
    ``values`` by English word ("present", "auto", "provisional", "yes", …) and the XLSX
    ``sheet_title``. Anything missing stays as in the English file."""

    headers: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, str] = field(default_factory=dict)
    sheet_title: str = "Attendance"

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def value(self, word: str | None) -> str:
        """``word`` (a status, source, session state or "yes") in the file's language;
        "" for None or ""."""
        return self.values.get(word, word) if word else ""


#: The established English file.
ENGLISH = ExportWords()


def header_row(words: ExportWords = ENGLISH) -> list[str]:
    """The header cells, in :data:`COLUMNS` order."""
    return [words.header(column) for column in COLUMNS]


def neutralise(cell: str) -> str:
    """``cell`` made inert for spreadsheets: an apostrophe before a formula trigger."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def row_cells(row: ReportRow, words: ExportWords = ENGLISH) -> list[str]:
    """The CSV cells of ``row``, in :data:`COLUMNS` order, already neutralised."""
    cells = [
        row.course_code,
        row.course_name,
        row.session_start.strftime("%Y-%m-%d"),
        row.session_start.strftime("%H:%M"),
        row.session_end.strftime("%H:%M"),
        row.timezone,
        row.student_number,
        row.student_name,
        words.value(row.status),
        row.first_seen.strftime("%Y-%m-%d %H:%M:%S") if row.first_seen else "",
        str(row.sightings),
        words.value(row.source),
        row.reason or "",
        words.value(row.session_state),
        words.value("yes") if row.session_incomplete else "",
    ]
    return [neutralise(cell) for cell in cells]


def report_csv(rows: Iterable[ReportRow], words: ExportWords = ENGLISH) -> bytes:
    """The CSV file (bytes, UTF-8 with BOM) of report ``rows``, header first, in ``words``'
    language."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralise(cell) for cell in header_row(words))
    writer.writerows(row_cells(row, words) for row in rows)
    return (BOM + buffer.getvalue()).encode("utf-8")
