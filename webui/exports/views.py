"""CSV and XLSX downloads: one session, or a course over a range of dates."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request

from attendance.db import utcnow
from attendance.export import report_csv
from attendance.export_xlsx import MIME_TYPE as XLSX_MIME_TYPE
from attendance.export_xlsx import report_xlsx
from attendance.services.audit import record_audit
from attendance.services.reports import ReportRow, course_report, session_report

from ..access import class_session_or_404, course_or_404
from ..auth.identity import current_identity
from ..db import get_session, write_session
from ..errors import FORM_ERRORS, flash_error
from .forms import DateRangeForm
from .labels import export_words

bp = Blueprint("exports", __name__)


@bp.get("/sessions/<int:session_id>/export.csv")
def session_csv(session_id: int) -> Response:
    return _session_export(session_id, "csv")


@bp.get("/sessions/<int:session_id>/export.xlsx")
def session_xlsx(session_id: int) -> Response:
    return _session_export(session_id, "xlsx")


def _session_export(session_id: int, extension: str) -> Response:
    """One session's report as ``<course code>_<local date>.<extension>`` (csv or xlsx)."""
    session = get_session()
    class_session = class_session_or_404(session, current_identity(), session_id)
    course = class_session.course
    day = class_session.starts_at.astimezone(ZoneInfo(course.timezone)).date()
    rows = session_report(session, class_session.id)
    filename = f"{course.code}_{day:%Y-%m-%d}.{extension}"
    _record_export("class_session", class_session.id, filename, rows)
    respond = _csv_response if extension == "csv" else _xlsx_response
    return respond(rows, filename)


@bp.get("/courses/<int:course_id>/export")
def course_form(course_id: int) -> Response | str | tuple[str, int]:
    """The date-range form; with valid ``date_from`` and ``date_to`` it sends the file, as
    CSV or, with ``format=xlsx``, as XLSX."""
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    form = DateRangeForm(formdata=request.args if request.args else None)
    if not request.args:
        today = utcnow().astimezone(ZoneInfo(course.timezone)).date()
        form.date_from.data, form.date_to.data = today - timedelta(days=27), today
        return render_template("exports/course.html", course=course, form=form)
    if not form.validate():
        return render_template("exports/course.html", course=course, form=form), 400
    first: date = form.date_from.data
    last: date = form.date_to.data
    try:
        rows = course_report(session, course.id, first, last)
    except FORM_ERRORS as exc:
        flash_error(exc)
        return render_template("exports/course.html", course=course, form=form), 400
    stem = f"{course.code}_{first:%Y-%m-%d}_{last:%Y-%m-%d}"
    if request.args.get("format") == "xlsx":
        _record_export("course", course.id, f"{stem}.xlsx", rows)
        return _xlsx_response(rows, f"{stem}.xlsx")
    _record_export("course", course.id, f"{stem}.csv", rows)
    return _csv_response(rows, f"{stem}.csv")


def _record_export(target_type: str, target_id: int, filename: str,
                   rows: list[ReportRow]) -> None:
    """Audit a download of personal data: who took which file, with how many rows."""
    identity = current_identity()
    with write_session() as session:  # a download is a GET: its reads took no write lock
        record_audit(session, actor=identity.username, action="export.download",
                     user_id=identity.id, target_type=target_type, target_id=target_id,
                     details={"file": filename, "rows": len(rows)})
        session.commit()


def _csv_response(rows: list[ReportRow], filename: str) -> Response:
    # Course codes are restricted to letters, digits, '.', '_' and '-', so the name is safe.
    return Response(
        report_csv(rows, export_words()), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xlsx_response(rows: list[ReportRow], filename: str) -> Response:
    return Response(
        report_xlsx(rows, export_words()), mimetype=XLSX_MIME_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
