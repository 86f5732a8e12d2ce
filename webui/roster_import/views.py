"""Roster import: upload a CSV, preview every row with its errors, confirm to write.

Nothing is written before the confirmation. A teacher may only name their own courses; any
other course is reported as unknown (``attendance.access``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.services.roster_import import (
    apply_roster_import,
    plan_roster_import,
    read_roster_file,
)

from ..access import allowed_or_403
from ..auth.identity import current_identity
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from ..i18n import N_, _, ngettext
from .forms import ConfirmForm, UploadForm
from .token import ExpiredPreview, dump_rows, load_rows

bp = Blueprint("roster_import", __name__, url_prefix="/students/import")

EXPIRED = N_("The preview expired or was changed. Upload the file again.")


@bp.get("/")
def upload() -> str:
    allowed_or_403(current_identity(), Action.IMPORT_ROSTER)
    return render_template("roster_import/upload.html", form=UploadForm())


@bp.post("/")
def preview() -> str | tuple[str, int]:
    identity = allowed_or_403(current_identity(), Action.IMPORT_ROSTER)
    form = UploadForm()
    if not form.validate():
        return render_template("roster_import/upload.html", form=form), 400
    try:
        roster_file = read_roster_file(form.file.data.read())
    except FORM_ERRORS as exc:
        flash_error(exc)
        return render_template("roster_import/upload.html", form=form), 400
    plan = plan_roster_import(get_session(), roster_file.rows, by=identity,
                              ignored_columns=roster_file.ignored_columns)
    confirm = ConfirmForm()
    confirm.token.data = dump_rows(roster_file.rows, identity.id) if plan.ok else ""
    return render_template("roster_import/preview.html", plan=plan, confirm=confirm,
                           form=UploadForm(formdata=None))


@bp.post("/confirm")
def confirm() -> Response:
    identity = allowed_or_403(current_identity(), Action.IMPORT_ROSTER)
    form = ConfirmForm()
    if not form.validate():
        flash(_(EXPIRED), "error")
        return redirect(url_for("roster_import.upload"))
    try:
        rows = load_rows(form.token.data or "", identity.id)
    except ExpiredPreview:
        flash(_(EXPIRED), "error")
        return redirect(url_for("roster_import.upload"))
    session = get_session()
    try:
        summary = apply_roster_import(session, rows, actor=identity.username,
                                      user_id=identity.id, by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        flash_error(exc)
        return redirect(url_for("roster_import.upload"))
    flash(_("Imported: %(students)s, %(additions)s in %(courses)s.",
            students=ngettext("%(num)d new student(s)", "%(num)d new student(s)",
                              summary.students_created),
            additions=ngettext("%(num)d roster addition(s)", "%(num)d roster addition(s)",
                               summary.roster_additions),
            courses=", ".join(summary.courses)), "success")
    return redirect(url_for("students.index"))
