"""The review queue of unsure sightings, teachers' verdicts, and each mark's evidence."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.config import Settings
from attendance.db import Sighting, Student
from attendance.services.review import (
    REVIEW_MARGIN,
    confirm_sighting,
    reject_sighting,
    review_queue,
    sighting_evidence,
)

from ..access import class_session_or_404, course_or_404
from ..auth.identity import current_identity
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from .forms import VerdictForm

bp = Blueprint("review", __name__)


@bp.get("/courses/<int:course_id>/review")
def queue(course_id: int) -> str:
    session = get_session()
    course = course_or_404(session, current_identity(), course_id)
    items = review_queue(session, course.id)
    groups = [(key, list(group)) for key, group in
              groupby(items, key=lambda i: (i.class_session_id, i.session_starts_at))]
    return render_template("review/queue.html", course=course, groups=groups,
                           margin=REVIEW_MARGIN, count=len(items))


@bp.post("/sightings/<int:sighting_id>/confirm")
def confirm(sighting_id: int) -> Response:
    """"Yes, this is X": the sighting counts for X."""
    return _decide(sighting_id, "confirm")


@bp.post("/sightings/<int:sighting_id>/reject")
def reject(sighting_id: int) -> Response:
    """"Not X": remembered, so unsure sightings of X stop counting in that session."""
    return _decide(sighting_id, "reject")


def _decide(sighting_id: int, verdict: str) -> Response:
    identity = current_identity()
    session = get_session()
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        abort(404)
    class_session = class_session_or_404(session, identity, sighting.class_session_id)
    form = VerdictForm()
    back = redirect(url_for("review.queue", course_id=class_session.course_id))
    if not form.validate():
        flash("Choose a student to confirm or reject.", "error")
        return back
    student_id: int = form.student_id.data
    student = session.get(Student, student_id)
    name = student.display_name if student else str(student_id)
    try:
        if verdict == "confirm":
            confirm_sighting(session, sighting_id=sighting.id, student_id=student_id,
                             actor=identity.username, user_id=identity.id,
                             min_sightings=_settings().min_sightings)
            message = f"Counted for {name}."
        else:
            decision = reject_sighting(session, sighting_id=sighting.id, student_id=student_id,
                                       actor=identity.username, user_id=identity.id)
            message = f"Noted: not {name}. The camera will not count unsure sightings of " \
                      f"{name} in this session."
            if sighting.student_id == decision.student_id:
                message += " This sighting had already counted: correct the mark if needed."
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(message, "success")
    return back


@bp.get("/sessions/<int:session_id>/students/<int:student_id>/evidence")
def evidence(session_id: int, student_id: int) -> str:
    session = get_session()
    class_session = class_session_or_404(session, current_identity(), session_id)
    student = session.get(Student, student_id)
    if student is None:
        abort(404)
    rows = sighting_evidence(session, class_session.id, student.id)
    return render_template("review/evidence.html", class_session=class_session,
                           course=class_session.course, student=student, rows=rows)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings
