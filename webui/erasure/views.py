"""Erasing a student (GDPR Art. 17): a page that counts everything that will go, and the
erasure itself once the admin has typed the student's number. There is no one-click path.

``attendance.services.erasure`` does the work (and asks the access policy again)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.config import Settings
from attendance.services.erasure import ErasureReport, erase_student, preview_erasure

from ..access import student_or_404
from ..auth.identity import current_identity
from ..db import get_session
from ..i18n import N_, _, ngettext
from .forms import EraseForm

bp = Blueprint("erasure", __name__, url_prefix="/students")

MISMATCH = N_("The number typed is not %(number)s: nothing was erased.")


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
        form.confirm_number.errors = [_(MISMATCH, number=student.student_number)]
    if form.errors:
        preview = preview_erasure(session, _settings(), student.id)
        return render_template("erasure/confirm.html", preview=preview, form=form), 400
    report = erase_student(session, _settings(), student.id, actor=identity.username,
                           user_id=identity.id, by=identity)
    session.commit()  # the photo and thumbnail files go with the commit
    flash(_("Student %(number)s and their face data were erased. Removed: %(summary)s.",
            number=report.student_number, summary=_summary(report)), "success")
    return redirect(url_for("students.index"))


def _summary(report: ErasureReport) -> str:
    """What the erasure removed, in the reader's language (``ErasureReport.summary``)."""
    parts = [
        ngettext("%(num)d embedding(s)", "%(num)d embedding(s)", report.embeddings),
        _("%(photos)s (%(files)s)",
          photos=ngettext("%(num)d photo(s)", "%(num)d photo(s)", report.photos),
          files=ngettext("%(num)d file(s)", "%(num)d file(s)", report.photo_files)),
        _("%(sightings)s (%(thumbnails)s)",
          sightings=ngettext("%(num)d sighting(s)", "%(num)d sighting(s)", report.sightings),
          thumbnails=ngettext("%(num)d thumbnail(s)", "%(num)d thumbnail(s)",
                              report.thumbnails)),
        ngettext("%(num)d attendance record(s)", "%(num)d attendance record(s)",
                 report.attendance_records),
        ngettext("%(num)d consent record(s)", "%(num)d consent record(s)", report.consents),
        ngettext("the student named as nearest match in %(num)d other sighting(s)",
                 "the student named as nearest match in %(num)d other sighting(s)",
                 report.mentions),
    ]
    audit = ngettext("%(num)d audit entry(ies) now say %(pseudonym)s",
                     "%(num)d audit entry(ies) now say %(pseudonym)s", report.audit_entries,
                     pseudonym=report.pseudonym)
    return _("%(removed)s; %(audit)s", removed=", ".join(parts), audit=audit)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["attendance.settings"]
    return settings
