"""Check-in codes. ``/checkin`` is public (no login, CSRF-protected, rate-limited): a student
enters their number and the code the teacher shows. The teacher opens and closes a session's
code from the session page. The rules are in :mod:`attendance.services.checkin`."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from attendance.access import Action
from attendance.db import utcnow
from attendance.services.checkin import check_in, close_checkin_code, open_checkin_code

from ..access import class_session_or_404
from ..auth.identity import current_identity
from ..auth.throttle import LoginThrottle
from ..db import get_session
from ..errors import FORM_ERRORS, flash_error
from ..i18n import N_, _
from ..words import status_word
from .forms import CheckinForm, CodeButtonForm

logger = logging.getLogger(__name__)

bp = Blueprint("checkin", __name__)

#: Wrong attempts allowed per client address, and per student number, in the window: at that
#: rate a six-digit code (10^6 values) cannot be guessed in the minutes it is open.
ADDRESS_MAX_FAILURES = 10
NUMBER_MAX_FAILURES = 5
WINDOW_SECONDS = 600.0
THROTTLED = N_("Too many wrong attempts. Wait ten minutes, or ask your teacher to mark you.")
_LIMITS = "attendance.checkin_throttle"


def _limits() -> tuple[LoginThrottle, LoginThrottle]:
    """(per address, per student number) failure counters of this app, made on first use."""
    limits: tuple[LoginThrottle, LoginThrottle] | None = current_app.extensions.get(_LIMITS)
    if limits is None:
        limits = (LoginThrottle(ADDRESS_MAX_FAILURES, WINDOW_SECONDS),
                  LoginThrottle(NUMBER_MAX_FAILURES, WINDOW_SECONDS))
        current_app.extensions[_LIMITS] = limits
    return limits


@bp.route("/checkin", methods=["GET", "POST"])
def form() -> str | tuple[str, int]:
    form = CheckinForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("checkin/form.html", form=form), status
    number = (form.student_number.data or "").strip()
    by_address, by_number = _limits()
    address_key = LoginThrottle.key(request.remote_addr, "")
    number_key = LoginThrottle.key("number", number)
    if by_address.is_blocked(address_key) or by_number.is_blocked(number_key):
        # Refused before the code is checked, so guessing gets no answer at all.
        logger.warning("check-in throttled for %r from %s", number, request.remote_addr)
        flash(_(THROTTLED), "error")
        return render_template("checkin/form.html", form=form), 429
    session = get_session()
    try:
        result = check_in(session, student_number=number, code=form.code.data or "",
                          now=utcnow())
        session.commit()
    except FORM_ERRORS as exc:
        session.rollback()
        by_address.record_failure(address_key)
        by_number.record_failure(number_key)
        flash_error(exc)
        return render_template("checkin/form.html", form=form), 400
    if result.already:
        flash(_("You were already checked in (%(status)s).", status=status_word(result.status)),
              "success")
    else:
        flash(_("Checked in: %(status)s.", status=status_word(result.status)), "success")
    return render_template("checkin/form.html", form=CheckinForm(formdata=None))


@bp.post("/sessions/<int:session_id>/checkin-code")
def open_code(session_id: int) -> Response:
    """The teacher opens (or renews) the session's code; it is shown on the session page."""
    identity = current_identity()
    session = get_session()
    class_session = class_session_or_404(session, identity, session_id, Action.CHANGE_SESSION)
    minutes = current_app.extensions["attendance.settings"].checkin_code_minutes
    if not CodeButtonForm().validate():
        flash(_("The form expired; reload the page and try again."), "error")
        return redirect(url_for("sessions.show", session_id=class_session.id))
    try:
        row = open_checkin_code(session, class_session.id, actor=identity.username,
                                now=utcnow(), minutes=minutes, user_id=identity.id,
                                by=identity)
        session.commit()
    except FORM_ERRORS as exc:
        session.rollback()
        flash_error(exc)
    else:
        flash(_("Check-in code %(code)s is open; students enter it at /checkin.", code=row.code),
              "success")
    return redirect(url_for("sessions.show", session_id=class_session.id))


@bp.post("/sessions/<int:session_id>/checkin-code/close")
def close_code(session_id: int) -> Response:
    """The teacher ends the session's code before it expires."""
    identity = current_identity()
    session = get_session()
    class_session = class_session_or_404(session, identity, session_id, Action.CHANGE_SESSION)
    if not CodeButtonForm().validate():
        flash(_("The form expired; reload the page and try again."), "error")
    elif close_checkin_code(session, class_session.id, actor=identity.username, now=utcnow(),
                            user_id=identity.id, by=identity):
        session.commit()
        flash(_("Check-in code closed."), "success")
    return redirect(url_for("sessions.show", session_id=class_session.id))
