"""Students: search, enrollment from uploaded photos, deletion."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance.config import Settings
from attendance.db import FacePhoto, Student
from attendance.services.audit import record_audit
from enrollment import EnrollmentResult, PhotoUpload, enroll_student

from ..auth.identity import current_identity, require_admin
from ..db import get_session
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
    students = _search(get_session(), query)
    return render_template("students/index.html", students=students, query=query,
                           limit=LIST_LIMIT, delete_form=DeleteForm())


@bp.route("/enroll", methods=["GET", "POST"])
def enroll() -> str | tuple[str, int]:
    identity = current_identity()
    form = EnrollForm()
    if not identity.is_admin:
        del form.allow_duplicate
    result: EnrollmentResult | None = None
    if form.validate_on_submit():
        session = get_session()
        uploads = [PhotoUpload(f.filename or "photo", f.read()) for f in form.photos.data]
        try:
            result = enroll_student(
                session, _settings(), get_embedders(),
                student_number=form.student_number.data or "",
                display_name=form.display_name.data, email=form.email.data or None,
                consent_by=identity.username, photos=uploads,
                allow_duplicate=bool(identity.is_admin and form.allow_duplicate.data),
                actor=identity.username,
            )
            session.commit()
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
    student = session.get(Student, student_id)
    if student is None:
        return redirect(url_for("students.index"))
    if DeleteForm().validate():
        files = _photo_files(session, student.id)
        record_audit(session, actor=identity.username, action="student.delete",
                     target_type="student", target_id=student.id, user_id=identity.id,
                     details={"student_number": student.student_number,
                              "display_name": student.display_name})
        session.delete(student)
        session.commit()
        _remove_files(files)
        flash(f"Student {student.student_number} and their face data were deleted.", "success")
    return redirect(url_for("students.index"))


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


def _photo_files(session: Session, student_id: int) -> list[Path]:
    """Kept photo files of the student, resolved inside the instance folder."""
    root = _settings().instance_path.resolve()
    paths = session.scalars(select(FacePhoto.file_path).where(
        FacePhoto.student_id == student_id, FacePhoto.file_path.is_not(None)))
    files = [(root / p).resolve() for p in paths if p]
    return [f for f in files if f.is_relative_to(root)]


def _remove_files(files: list[Path]) -> None:
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            logger.exception("could not delete photo file %s; remove it by hand", path)
