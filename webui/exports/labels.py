"""The words of an export in the language of the person exporting (``attendance.export``)."""

from __future__ import annotations

from attendance.export import ExportWords

from ..i18n import pgettext
from ..words import status_word


def export_words() -> ExportWords:
    """Column headers and the status, source, session-state and "yes" values, translated
    for the current request (English: the file's established column names and words)."""
    headers = {
        "course_code": pgettext("export column", "course_code"),
        "course_name": pgettext("export column", "course_name"),
        "session_date": pgettext("export column", "session_date"),
        "session_start": pgettext("export column", "session_start"),
        "session_end": pgettext("export column", "session_end"),
        "timezone": pgettext("export column", "timezone"),
        "student_number": pgettext("export column", "student_number"),
        "student_name": pgettext("export column", "student_name"),
        "status": pgettext("export column", "status"),
        "first_seen": pgettext("export column", "first_seen"),
        "sightings": pgettext("export column", "sightings"),
        "source": pgettext("export column", "source"),
        "reason": pgettext("export column", "reason"),
        "session_state": pgettext("export column", "session_state"),
        "incomplete": pgettext("export column", "incomplete"),
    }
    values = {status: status_word(status) for status in ("present", "late", "absent",
                                                          "excused")}
    values.update({
        "auto": pgettext("export value", "auto"),
        "manual": pgettext("export value", "manual"),
        "provisional": pgettext("export value", "provisional"),
        "confirmed": pgettext("export value", "confirmed"),
        "yes": pgettext("export value", "yes"),
    })
    return ExportWords(headers=headers, values=values,
                       sheet_title=pgettext("export sheet", "Attendance"))


__all__ = ["export_words"]
