"""Signing in and out."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from attendance.services.users import authenticate

from ..db import get_session
from .forms import LoginForm, LogoutForm
from .identity import Identity
from .throttle import LoginThrottle

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")

#: One message for an unknown username and a wrong password: no hint which accounts exist.
BAD_CREDENTIALS = "Unknown username or wrong password."
THROTTLED = "Too many failed sign-in attempts. Wait a few minutes, then try again."


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    throttle: LoginThrottle = current_app.extensions["attendance.login_throttle"]
    key = throttle.key(request.remote_addr, form.username.data or "")
    if throttle.is_blocked(key):
        # Refused before the password is checked, so guessing gets no answer at all.
        logger.warning("sign-in throttled for %r from %s", key[1], key[0])
        flash(THROTTLED, "error")
        return render_template("auth/login.html", form=form), 429
    user = authenticate(get_session(), form.username.data or "", form.password.data or "")
    if user is None:
        throttle.record_failure(key)
        logger.info("failed sign-in for %r from %s", key[1], key[0])
        flash(BAD_CREDENTIALS, "error")
        return render_template("auth/login.html", form=form), 401
    throttle.reset(key)
    login_user(Identity.of(user))
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if not LogoutForm().validate_on_submit():
        abort(400)
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("index")
