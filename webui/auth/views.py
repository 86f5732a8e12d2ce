"""Signing in and out, and changing one's password."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from attendance.errors import InvalidInput, WrongPassword
from attendance.services.audit import record_audit
from attendance.services.users import (
    authenticate,
    change_password,
    revoke_sessions,
    set_language,
)

from ..db import get_session
from ..i18n import LANGUAGES, N_, _, browser_language, force_language
from ..words import error_text
from .forms import BROWSER_LANGUAGE, LanguageForm, LoginForm, LogoutForm, PasswordForm
from .identity import Identity, current_identity
from .session_limits import mark_signed_in
from .throttle import LoginLimits

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: One message for an unknown username and a wrong password: no hint which accounts exist.
BAD_CREDENTIALS = N_("Unknown username or wrong password.")
THROTTLED = N_("Too many failed sign-in attempts. Wait a few minutes, then try again.")
CHANGE_PAUSED = N_("Too many wrong passwords for this account. Password changes are paused "
                   "for a few minutes; wait, then try again.")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    limits: LoginLimits = current_app.extensions["attendance.login_throttle"]
    username, address = form.username.data or "", request.remote_addr
    if limits.is_blocked(address, username):
        # Refused before the password is checked, so guessing gets no answer at all.
        logger.warning("sign-in throttled for %r from %s", username, address)
        flash(_(THROTTLED), "error")
        return render_template("auth/login.html", form=form), 429
    db = get_session()
    user = authenticate(db, username, form.password.data or "")
    if user is None:
        limits.record_failure(address, username)
        logger.info("failed sign-in for %r from %s", username, address)
        # The attempted name is kept (cut to fit) even when no such account exists.
        record_audit(db, actor=username[:200] or "(empty)", action="auth.login_failed",
                     details={"address": address})
        db.commit()
        flash(_(BAD_CREDENTIALS), "error")
        return render_template("auth/login.html", form=form), 401
    record_audit(db, actor=user.username, action="auth.login", user_id=user.id,
                 target_type="user", target_id=user.id, details={"address": address})
    db.commit()  # also keeps a re-hash of an old-method password
    limits.record_success(address, username)
    login_user(Identity.of(user))
    mark_signed_in()
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out here and everywhere: the account's session version changes, so a copy of
    the session cookie kept elsewhere stops working too."""
    if not LogoutForm().validate_on_submit():
        abort(400)
    db = get_session()
    revoke_sessions(db, current_identity().id)
    db.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> Response | str | tuple[str, int]:
    """Change one's own password; every session of the account ends, this one included.

    A wrong current password counts as a failed sign-in of the account (the same
    :class:`LoginLimits`): a stolen session cannot guess the password here faster than at
    the sign-in page, and while the account is paused even the right password is refused
    unchecked (429).
    """
    form = PasswordForm()
    if not form.validate_on_submit():
        return _password_page(form)
    identity = current_identity()
    limits: LoginLimits = current_app.extensions["attendance.login_throttle"]
    address = request.remote_addr
    if limits.is_blocked(address, identity.username):
        logger.warning("password change throttled for %r from %s", identity.username, address)
        flash(_(CHANGE_PAUSED), "error")
        return _password_page(form), 429
    db = get_session()
    try:
        change_password(db, user_id=identity.id,
                        current_password=form.current_password.data or "",
                        new_password=form.new_password.data or "")
    except InvalidInput as exc:
        db.rollback()
        if isinstance(exc, WrongPassword):
            limits.record_failure(address, identity.username)
            logger.info("wrong current password for %r from %s", identity.username, address)
        flash(_password_refusal(exc), "error")
        return _password_page(form), 400
    db.commit()
    limits.record_success(address, identity.username)
    logout_user()
    flash(_("Password changed. Sign in with the new password."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> Response | tuple[str, int]:
    """Choose the dashboard's language for this account (or the browser's again)."""
    form = LanguageForm()
    if not form.validate_on_submit():
        return _password_page(language_form=form), 400
    chosen = form.language.data if form.language.data in LANGUAGES else None
    db = get_session()
    set_language(db, user_id=current_identity().id, language=chosen)
    db.commit()
    # Said in the language just chosen (this request began in the previous one).
    with force_language(chosen or browser_language()):
        flash(_("Language saved."), "success")
    return redirect(url_for("auth.password"))


def _password_page(form: PasswordForm | None = None,
                   language_form: LanguageForm | None = None) -> str:
    if language_form is None:
        language_form = LanguageForm(language=current_identity().language or BROWSER_LANGUAGE)
    return render_template("auth/password.html", form=form or PasswordForm(),
                           language_form=language_form)


def _password_refusal(exc: InvalidInput) -> str:
    """The service's refusal of a new password, in the reader's language."""
    if isinstance(exc, WrongPassword):
        return _("The current password is wrong.")
    return error_text(exc)


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("index")
