"""Idle and absolute limits on a signed-in session, and the session cookie's Secure flag.

The (signed) session cookie carries when the user signed in and when they were last seen,
in seconds since the epoch. A request after ``session_idle_minutes`` without activity, or
``session_absolute_hours`` after signing in, signs the user out and asks them to sign in
again. The clock is ``app.extensions[CLOCK_KEY]`` so tests can move time.

A page's own polling for live figures (views marked with :func:`poll_endpoint`) is not
activity: a dashboard left open on a classroom computer still signs out after the idle
limit, and its next poll learns so (a redirect to the sign-in page).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from attendance.config import Settings

from ..i18n import N_, _
from ..security import PUBLIC_ENDPOINTS

#: ``app.extensions`` key of the wall clock (seconds since the epoch) used for the limits.
CLOCK_KEY = "attendance.wall_clock"
LOGIN_AT = "_attendance_login_at"
SEEN_AT = "_attendance_seen_at"
EXPIRED = N_("Your session has expired. Please sign in again.")
#: Attribute set on a view function by :func:`poll_endpoint`.
_POLL_ATTRIBUTE = "attendance_poll_endpoint"

_View = TypeVar("_View", bound=Callable[..., object])


def poll_endpoint(view: _View) -> _View:
    """Mark ``view`` as polled by a page's script: its requests do not count as activity
    for the idle limit (the limits themselves still apply)."""
    setattr(view, _POLL_ATTRIBUTE, True)
    return view


def _is_poll() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, _POLL_ATTRIBUTE, False))


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure when configured to, and whenever the request itself
    came over HTTPS (directly, or through a trusted proxy's X-Forwarded-Proto)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


def init_app(app: Flask, settings: Settings) -> None:
    """Install the limits (before the login requirement runs) and the cookie policy."""
    app.extensions.setdefault(CLOCK_KEY, time.time)
    app.session_interface = HttpsAwareSessionInterface()
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.before_request(enforce_session_limits)


def _now() -> float:
    clock: Callable[[], float] = current_app.extensions[CLOCK_KEY]
    return clock()


def mark_signed_in() -> None:
    """Start the clocks of a fresh sign-in (call right after ``login_user``)."""
    now = _now()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.permanent = True


def enforce_session_limits() -> Response | None:
    """Sign out a session that was idle too long or is too old; else note the activity."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    settings: Settings = current_app.extensions["attendance.settings"]
    now = _now()
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    expired = (
        not isinstance(login_at, (int, float))
        or not isinstance(seen_at, (int, float))
        or now - seen_at > settings.session_idle_minutes * 60
        or now - login_at > settings.session_absolute_hours * 3600
    )
    if not expired:
        if not _is_poll():
            session[SEEN_AT] = now
        return None
    logout_user()
    session.pop(LOGIN_AT, None)
    session.pop(SEEN_AT, None)
    flash(_(EXPIRED), "info")
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return redirect(url_for("auth.login", next=request.path))
