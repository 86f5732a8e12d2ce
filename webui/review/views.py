"""The review queue of unsure sightings, teachers' verdicts, and each mark's evidence."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance import access
from attendance.access import Action
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Sighting, Student
from attendance.errors import TemplateDecryptionError
from attendance.services.consent import has_consent
from attendance.services.review import (
    REVIEW_MARGIN,
    confirm_sighting,
    reject_sighting,
    review_queue,
    sighting_evidence,
)
from attendance.thumbnail_files import existing_thumbnail
from attendance.worker.thumbnails import read_thumbnail
from enrollment import Mode, Outcome, PhotoUpload, enroll_student

from ..access import class_session_or_404, course_or_404, student_or_404
from ..auth.identity import Identity, current_identity
from ..db import get_session
from ..embedders import get_embedders
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
    sightings = session.scalars(select(Sighting).where(
        Sighting.id.in_([i.sighting_id for i in items]))).all()
    with_thumbnail = {s.id for s in sightings if _thumbnail_file(s) is not None}
    return render_template("review/queue.html", course=course, groups=groups,
                           margin=REVIEW_MARGIN, count=len(items), with_thumbnail=with_thumbnail,
                           keep_thumbnails=_settings().keep_thumbnails)


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
    class_session = class_session_or_404(session, identity, sighting.class_session_id,
                                         Action.CHANGE_SESSION)
    form = VerdictForm()
    back = redirect(url_for("review.queue", course_id=class_session.course_id))
    if not form.validate():
        flash("Choose a student to confirm or reject.", "error")
        return back
    student_id: int = form.student_id.data
    student = session.get(Student, student_id)
    name = student.display_name if student else str(student_id)
    photo: tuple[str, str] | None = None  # (message, flash category) about the thumbnail
    try:
        if verdict == "confirm":
            confirm_sighting(session, sighting_id=sighting.id, student_id=student_id,
                             actor=identity.username, user_id=identity.id,
                             min_sightings=_settings().min_sightings, by=identity)
            message = f"Counted for {name}."
            if form.add_photo.data and student is not None:
                photo = _add_thumbnail(session, identity, sighting, student)
        else:
            decision = reject_sighting(session, sighting_id=sighting.id, student_id=student_id,
                                       actor=identity.username, user_id=identity.id,
                                       by=identity)
            message = f"Noted: not {name}. The camera will not count unsure sightings of " \
                      f"{name} in this session."
            if sighting.student_id == decision.student_id:
                message += " This sighting had already counted: correct the mark if needed."
        session.commit()  # the verdict and any added photo together
    except FORM_ERRORS as exc:
        flash_error(exc)
    else:
        flash(message, "success")
        if photo is not None:
            flash(*photo)
    return back


def _add_thumbnail(
    session: Session, identity: Identity, sighting: Sighting, student: Student
) -> tuple[str, str]:
    """Enroll the sighting's face thumbnail as one more photo of ``student``, in the request's
    transaction; (message, flash category) telling what became of it. Per-photo refusals
    (quality checks, duplicates) are reported, not raised."""
    settings = _settings()
    name = student.display_name
    path = _thumbnail_file(sighting)
    if path is None or sighting.dedupe_key is None:
        why = "" if settings.keep_thumbnails else " (thumbnails are off: setting keep_thumbnails)"
        return f"No face thumbnail is kept for this sighting{why}; nothing was added to " \
               f"{name}'s enrollment photos.", "error"
    if not access.may(session, identity, Action.ADD_PHOTOS, student):
        return f"You may not add photos to {name}: they are also on another teacher's " \
               "course; ask an admin.", "error"
    if not has_consent(session, student.id):
        return f"{name} has no active consent to face recognition; the thumbnail was not " \
               "added to their enrollment photos.", "error"
    try:
        data = read_thumbnail(path, sighting.dedupe_key, TemplateCipher.from_settings(settings))
    except (OSError, TemplateDecryptionError) as exc:
        return f"The thumbnail of this sighting could not be read ({exc}); nothing was added " \
               f"to {name}'s enrollment photos.", "error"
    filename = f"sighting {sighting.id} thumbnail"
    result = enroll_student(
        session, settings, get_embedders(),
        student_number=student.student_number,
        consent_by=student.consent_given_by or identity.username,
        photos=[PhotoUpload(filename, data)], actor=identity.username,
        mode=Mode.ADD_PHOTOS, by=identity,
    )
    outcome = result.photos[0]
    if outcome.outcome is Outcome.ACCEPTED:
        return f"The face from this sighting was added to {name}'s enrollment photos.", "success"
    if outcome.outcome is Outcome.SKIPPED:
        return f"The face from this sighting is already one of {name}'s enrollment photos.", \
            "success"
    return f"The face from this sighting was not added to {name}'s enrollment photos: " \
           f"{outcome.message}", "error"


def _thumbnail_file(sighting: Sighting) -> Path | None:
    """The sighting's kept thumbnail file, or None when there is none (thumbnails off,
    expired, or never written)."""
    return existing_thumbnail(_settings().instance_path, sighting.seen_at, sighting.dedupe_key)


@bp.get("/sightings/<int:sighting_id>/thumbnail.jpg")
def thumbnail(sighting_id: int) -> Response:
    """The sighting's kept face thumbnail, decrypted; 404 outside the user's courses, and when
    no thumbnail is kept (or it cannot be read)."""
    session = get_session()
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        abort(404)
    class_session_or_404(session, current_identity(), sighting.class_session_id)
    path = _thumbnail_file(sighting)
    if path is None or sighting.dedupe_key is None:
        abort(404)
    try:
        data = read_thumbnail(path, sighting.dedupe_key,
                              TemplateCipher.from_settings(_settings()))
    except (OSError, TemplateDecryptionError) as exc:
        current_app.logger.warning("thumbnail of sighting %s not readable: %s", sighting.id, exc)
        abort(404)
    response = make_response(data)
    response.mimetype = "image/jpeg"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/sessions/<int:session_id>/students/<int:student_id>/evidence")
def evidence(session_id: int, student_id: int) -> str:
    session = get_session()
    class_session = class_session_or_404(session, current_identity(), session_id)
    student = student_or_404(session, current_identity(), student_id)
    rows = sighting_evidence(session, class_session.id, student.id)
    instance_path = _settings().instance_path
    with_thumbnail = {r.sighting_id for r in rows
                      if existing_thumbnail(instance_path, r.seen_at, r.dedupe_key) is not None}
    return render_template("review/evidence.html", class_session=class_session,
                           course=class_session.course, student=student, rows=rows,
                           with_thumbnail=with_thumbnail)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings
