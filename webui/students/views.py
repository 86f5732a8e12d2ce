"""Students: search, enrollment from uploaded photos, deletion."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance.config import Settings
from attendance.db import Student, consent_covers
from attendance.services.erasure import erase_student
from enrollment import (
    EnrollmentRequest,
    EnrollmentResult,
    PhotoUpload,
    prepare_enrollment,
    read_enrollment_context,
    store_enrollment,
)

from ..auth.identity import current_identity, require_admin
from ..db import end_reads, get_read_session, get_session
from ..embedders import get_embedders
from ..errors import FORM_ERRORS, flash_error
from .forms import DeleteForm, EnrollForm

logger = logging.getLogger(__name__)

bp = Blueprint("students", __name__, url_prefix="/students")

#: Most students listed at once; narrow the search to see others.
LIST_LIMIT = 200


@bp.get("/")
def index() -> str:
    query = request.args.get("q", "").strip()[:100]
    session = get_session()
    students = _search(session, query)
    consenting = set(session.scalars(select(Student.id).where(
        Student.id.in_([s.id for s in students]), consent_covers(Student.id, None))))
    return render_template("students/index.html", students=students, query=query,
                           limit=LIST_LIMIT, delete_form=DeleteForm(), consenting=consenting)


@bp.route("/enroll", methods=["GET", "POST"])
def enroll() -> str | tuple[str, int]:
    identity = current_identity()
    form = EnrollForm()
    if not identity.is_admin:
        del form.allow_duplicate
    result: EnrollmentResult | None = None
    settings = _settings()
    if form.validate_on_submit() and _within_photo_limit(form, settings):
        uploads = [PhotoUpload(f.filename or "photo", f.read()) for f in form.photos.data]
        request_ = EnrollmentRequest(
            student_number=form.student_number.data or "",
            display_name=form.display_name.data, email=form.email.data or None,
            consent_by=identity.username, photos=uploads,
            consent_given_by=form.consent_given_by.data or None,
            consent_relation=form.consent_relation.data or "student",
            allow_duplicate=bool(identity.is_admin and form.allow_duplicate.data),
            actor=identity.username,
        )
        try:
            result = _enroll(settings, request_)
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            _flash_summary(result)
    status = 400 if form.errors else 200
    return render_template("students/enroll.html", form=form, result=result), status


@bp.post("/<int:student_id>/delete")
def delete(student_id: int) -> Response:
    identity = require_admin()
    session = get_session()
    if session.get(Student, student_id) is None:
        return redirect(url_for("students.index"))
    if DeleteForm().validate():
        report = erase_student(session, _settings(), student_id, actor=identity.username,
                               user_id=identity.id)
        session.commit()  # the photo and thumbnail files go with the commit
        flash(f"Student {report.student_number} and their face data were deleted. "
              f"Removed: {report.summary()}.", "success")
    return redirect(url_for("students.index"))


def _enroll(settings: Settings, request_: EnrollmentRequest) -> EnrollmentResult:
    """Enroll in three phases, so the write lock is held only for the inserts: read (a
    read-only session), decode/detect/embed (no transaction open), then write and commit."""
    embedders = get_embedders()
    context = read_enrollment_context(get_read_session(), settings, embedders, request_)
    end_reads()
    prepared = prepare_enrollment(context, settings, embedders)
    session = get_session()
    result = store_enrollment(session, settings, embedders, prepared)
    session.commit()
    return result


def _within_photo_limit(form: EnrollForm, settings: Settings) -> bool:
    """False (with the form error shown) when more photos were sent than one upload allows."""
    limit = settings.max_photos_per_upload
    count = len(form.photos.data or [])
    if count <= limit:
        return True
    form.photos.errors = [*form.photos.errors, (
        f"At most {limit} photos per upload (setting max_photos_per_upload); {count} were "
        "chosen. Send them in several uploads.")]
    return False


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings


def _search(session: Session, text: str) -> list[Student]:
    query = select(Student).order_by(Student.student_number).limit(LIST_LIMIT)
    if text:
        needle = text.lower()  # autoescape: '%' and '_' are searched for literally
        query = query.where(or_(
            func.lower(Student.student_number).contains(needle, autoescape=True),
            func.lower(Student.display_name).contains(needle, autoescape=True),
        ))
    return list(session.scalars(query))


def _flash_summary(result: EnrollmentResult) -> None:
    if result.student_id is None:
        flash(f"Nothing was stored for {result.student_number}: no photo was accepted.", "error")
    else:
        verb = "enrolled" if result.created else "updated"
        flash(f"Student {result.student_number} {verb}: {result.accepted} photo(s) accepted, "
              f"{result.rejected} refused, {result.skipped} already stored.", "success")
