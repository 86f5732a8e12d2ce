"""The retention schedule (``/privacy``, every signed-in user) and consent on the student page.

Giving and withdrawing consent are equally easy: one form and one button on the student
page. Who may use them, and for which courses, is ``attendance.access``'s to say: a teacher
records and withdraws consent only for their own courses, an admin also for all courses.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from attendance import access
from attendance.access import Action
from attendance.config import Settings
from attendance.db import Consent
from attendance.services.consent import give_consent, has_consent, withdraw_consent

from ..access import student_or_404
from ..auth.identity import current_identity
from ..choices import select_choices
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from ..i18n import _
from .forms import ConsentForm, WithdrawForm

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def index() -> str:
    settings: Settings = current_app.extensions["attendance.settings"]
    return render_template("privacy/index.html", s=settings)


def consent_form() -> ConsentForm:
    """The give-consent form for the student page: the courses the user may record consent
    for, and "all courses" only for those who may."""
    settings: Settings = current_app.extensions["attendance.settings"]
    session, identity = get_session(), current_identity()
    form = ConsentForm(notice_version=settings.consent_notice_version)
    courses = [c for c in access.visible_courses(session, identity)
               if access.may(session, identity, Action.CONSENT_FOR_COURSE, c)]
    form.courses.choices = select_choices((str(c.id), f"{c.code} {c.name}") for c in courses)
    if not access.may(session, identity, Action.CONSENT_FOR_ALL_COURSES):
        del form.all_courses
    return form


def withdrawable(consents: list[Consent]) -> set[int]:
    """Ids of the active ``consents`` the signed-in user may withdraw."""
    session, identity = get_session(), current_identity()
    return {c.id for c in consents if c.active and access.may_consent_for(
        session, identity, None if c.all_courses else c.course_ids)}


@bp.post("/students/<int:student_id>/consent")
def give(student_id: int) -> Response:
    identity = current_identity()
    session = get_session()
    student_or_404(session, identity, student_id, Action.MANAGE_CONSENT)
    form = consent_form()
    if not form.validate_on_submit():
        problems = "; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                             for name, errors in form.errors.items())
        flash(_("Consent not recorded: %(problems)s", problems=problems), "error")
    else:
        every = form.all_courses is not None and bool(form.all_courses.data)
        courses = None if every else list(form.courses.data or [])
        try:
            give_consent(session, student_id, given_by=form.given_by.data or "",
                         relation=form.relation.data or "", actor=identity.username,
                         notice_version=form.notice_version.data or "", course_ids=courses,
                         user_id=identity.id, by=identity)
            session.commit()
        except FORM_ERRORS as exc:
            flash_error(exc)
        else:
            flash(_("Consent recorded."), "success")
    return redirect(url_for("history.student", student_id=student_id))


@bp.post("/students/<int:student_id>/consent/<int:consent_id>/withdraw")
def withdraw(student_id: int, consent_id: int) -> Response:
    identity = current_identity()
    session = get_session()
    student_or_404(session, identity, student_id, Action.MANAGE_CONSENT)
    if WithdrawForm().validate_on_submit():
        done = withdraw_consent(session, student_id, consent_id=consent_id,
                                actor=identity.username, user_id=identity.id, by=identity)
        session.commit()
        if done and has_consent(session, student_id):
            flash(_("Consent withdrawn; another consent of this student is still active."),
                  "success")
        elif done:
            flash(_("Consent withdrawn: the student is no longer recognised by any camera."),
                  "success")
    return redirect(url_for("history.student", student_id=student_id))
