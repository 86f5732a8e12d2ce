"""Attendance over time: a student's history, a course's matrix, and its rate chart (SVG)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from attendance import access
from attendance.db import utcnow
from attendance.services.consent import consent_history
from attendance.services.history import course_matrix, rate_series, student_history

from ..access import course_or_404, student_or_404
from ..auth.identity import current_identity
from ..charts import rate_chart_svg
from ..db import get_session
from ..formatting import moment, percent
from ..i18n import _, pgettext
from ..privacy.views import consent_form, withdrawable

bp = Blueprint("history", __name__)


def marks() -> dict[str, str]:
    """Letters shown in the matrix cells, by the status they stand for (legend and labels)."""
    return {"present": pgettext("matrix letter for present", "P"),
            "late": pgettext("matrix letter for late", "L"),
            "absent": pgettext("matrix letter for absent", "A"),
            "excused": pgettext("matrix letter for excused", "E")}


@bp.get("/students/<int:student_id>")
def student(student_id: int) -> str:
    session = get_session()
    identity = current_identity()
    student = student_or_404(session, identity, student_id)
    scope = access.student_course_scope(session, identity, student_id)
    history = student_history(session, student_id, utcnow(), course_ids=scope)
    if history is None:
        abort(404)
    codes = {c.id: c.code for c in access.visible_courses(session, identity)}
    consents = consent_history(session, student_id)
    return render_template("history/student.html", history=history, student_id=student_id,
                           student=student, consents=consents, course_codes=codes,
                           withdrawable=withdrawable(consents), consent_form=consent_form(),
                           limited=scope is not None)


@bp.get("/courses/<int:course_id>/attendance")
def course(course_id: int) -> str:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    matrix = course_matrix(session, course, utcnow())
    return render_template("history/course.html", course=course, matrix=matrix, marks=marks())


@bp.get("/courses/<int:course_id>/attendance-rate.svg")
def rate_chart(course_id: int) -> Response:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    points = rate_series(course_matrix(session, course, utcnow()))
    svg = rate_chart_svg(
        points, title=_("Attendance rate per session (%(zone)s dates)", zone=course.timezone),
        y_label=_("present or late"), empty=_("No attendance recorded yet"),
        date_label=lambda day: moment(day, "day_month"), percent_label=percent)
    return Response(svg, mimetype="image/svg+xml")
