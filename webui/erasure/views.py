"""Erasing a student (GDPR Art. 17): a page that counts everything that will go, and the
erasure itself once the admin has typed the student's number. There is no one-click path.

``attendance.services.erasure`` does the work (and asks the access policy again)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.config import Settings
from attendance.services.erasure import erase_student, preview_erasure

from ..access import student_or_404
from ..auth.identity import current_identity
from ..db import get_session
from .forms import EraseForm

bp = Blueprint("erasure", __name__, url_prefix="/students")

MISMATCH = "The number typed is not {number}: nothing was erased."


@bp.get("/<int:student_id>/erase")
def confirm(student_id: int) -> str:
    """What erasing the student removes, with counts, and the confirmation form."""
    session = get_session()
    student = student_or_404(session, current_identity(), student_id, Action.ERASE_STUDENT)
    preview = preview_erasure(session, _settings(), student.id)
    return render_template("erasure/confirm.html", preview=preview, form=EraseForm())


@bp.post("/<int:student_id>/erase")
def erase(student_id: int) -> Response | tuple[str, int]:
    identity = current_identity()
    session = get_session()
    student = student_or_404(session, identity, student_id, Action.ERASE_STUDENT)
    form = EraseForm()
    if form.validate() and (form.confirm_number.data or "").strip() != student.student_number:
        form.confirm_number.errors = [MISMATCH.format(number=student.student_number)]
    if form.errors:
        preview = preview_erasure(session, _settings(), student.id)
        return render_template("erasure/confirm.html", preview=preview, form=form), 400
    report = erase_student(session, _settings(), student.id, actor=identity.username,
                           user_id=identity.id, by=identity)
    session.commit()  # the photo and thumbnail files go with the commit
    flash(f"Student {report.student_number} and their face data were erased. "
          f"Removed: {report.summary()}.", "success")
    return redirect(url_for("students.index"))


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings
