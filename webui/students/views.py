"""Students: search, enrollment from uploaded photos, deletion."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from attendance import access
from attendance.access import Action
from attendance.config import Settings
from attendance.db import Student, consent_covers
from attendance.services.erasure import erase_student
from attendance.services.students import update_student
from enrollment import EnrollmentResult, PhotoUpload, enroll_student

from ..access import student_or_404
from ..auth.identity import Identity, current_identity
from ..db import get_session
from ..embedders import get_embedders
from ..errors import FORM_ERRORS, flash_error
from .forms import DeleteForm, EnrollForm, StudentForm

logger = logging.getLogger(__name__)

bp = Blueprint("students", __name__, url_prefix="/students")

#: Most students listed at once; narrow the search to see others.
LIST_LIMIT = 200


@bp.get("/")
def index() -> str:
    """The students the user may list (a teacher: those on their rosters), searchable."""
    query = request.args.get("q", "").strip()[:100]
    session = get_session()
    students = _search(session, current_identity(), query)
    consenting = set(session.scalars(select(Student.id).where(
        Student.id.in_([s.id for s in students]), consent_covers(Student.id, None))))
    return render_template("students/index.html", students=students, query=query,
                           limit=LIST_LIMIT, delete_form=DeleteForm(), consenting=consenting,
                           every_student=access.listed_students(current_identity()) is None)


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
                consent_given_by=form.consent_given_by.data or None,
                consent_relation=form.consent_relation.data or "student",
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


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
def edit(student_id: int) -> Response | str | tuple[str, int]:
    """The student's name and email, on a form of their own (audited ``student.update``)."""
    identity = current_identity()
    session = get_session()
    student = student_or_404(session, identity, student_id, Action.EDIT_STUDENT)
    form = StudentForm(obj=None if request.method == "POST" else student)
    if form.validate_on_submit():
        try:
            update_student(session, student.id, display_name=form.display_name.data or "",
                           email=form.email.data or None, actor=identity.username,
                           user_id=identity.id, by=identity)
            session.commit()
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            flash("Name and email saved.", "success")
            return redirect(url_for("history.student", student_id=student.id))
    status = 400 if form.errors else 200
    return render_template("students/edit.html", form=form, student=student), status


@bp.post("/<int:student_id>/delete")
def delete(student_id: int) -> Response:
    identity = current_identity()
    session = get_session()
    student_or_404(session, identity, student_id, Action.ERASE_STUDENT)
    if DeleteForm().validate():
        report = erase_student(session, _settings(), student_id, actor=identity.username,
                               user_id=identity.id)
        session.commit()  # the photo and thumbnail files go with the commit
        flash(f"Student {report.student_number} and their face data were deleted. "
              f"Removed: {report.summary()}.", "success")
    return redirect(url_for("students.index"))


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings


def _search(session: Session, identity: Identity, text: str) -> list[Student]:
    query = select(Student).order_by(Student.student_number).limit(LIST_LIMIT)
    listed = access.listed_students(identity)
    if listed is not None:
        query = query.where(listed)
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
