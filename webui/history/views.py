"""Attendance over time: a student's history, a course's matrix, and its rate chart (SVG)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template

from attendance.db import utcnow
from attendance.services.consent import consent_history
from attendance.services.history import course_matrix, rate_series, student_history

from ..access import course_or_404, student_scope_or_404, visible_courses
from ..auth.identity import current_identity
from ..charts import rate_chart_svg
from ..db import get_session
from ..privacy.views import consent_form

bp = Blueprint("history", __name__)

#: Letters shown in the matrix cells, with the words they stand for (legend and labels).
MARKS = {"present": "P", "late": "L", "absent": "A", "excused": "E"}


@bp.get("/students/<int:student_id>")
def student(student_id: int) -> str:
    session = get_session()
    scope = student_scope_or_404(session, current_identity(), student_id)
    history = student_history(session, student_id, utcnow(), course_ids=scope)
    if history is None:
        abort(404)
    codes = {c.id: c.code for c in visible_courses(session, current_identity())}
    return render_template("history/student.html", history=history, student_id=student_id,
                           consents=consent_history(session, student_id), course_codes=codes,
                           consent_form=consent_form())


@bp.get("/courses/<int:course_id>/attendance")
def course(course_id: int) -> str:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    matrix = course_matrix(session, course, utcnow())
    return render_template("history/course.html", course=course, matrix=matrix, marks=MARKS)


@bp.get("/courses/<int:course_id>/attendance-rate.svg")
def rate_chart(course_id: int) -> Response:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    points = rate_series(course_matrix(session, course, utcnow()))
    svg = rate_chart_svg(points, title=f"Attendance rate per session ({course.timezone} dates)")
    return Response(svg, mimetype="image/svg+xml")
