"""An account signed in with a one-time password (an admin created it or reset its
password) sees only the Password page until it has chosen its own password."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..i18n import N_, _
from .identity import Identity

#: What such an account may still reach: the form itself, signing out, static files.
ALLOWED_ENDPOINTS = frozenset({"auth.password", "auth.language", "auth.logout", "auth.login",
                               "static", "favicon"})
CHOOSE_OWN = N_("You signed in with a one-time password. Choose your own password to "
                "continue.")


def init_app(app: Flask) -> None:
    """Install the check (after the login requirement)."""
    app.before_request(require_own_password)


def require_own_password() -> Response | None:
    """Send an account that still has a one-time password to the Password page."""
    user = current_user._get_current_object() if current_user else None
    if not isinstance(user, Identity) or not user.must_change_password:
        return None
    if request.endpoint is None or request.endpoint in ALLOWED_ENDPOINTS:
        return None
    flash(_(CHOOSE_OWN), "info")
    return redirect(url_for("auth.password"))
