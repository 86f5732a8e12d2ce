"""Response headers that harden every page, and the rule that every page needs a login."""

from __future__ import annotations

from flask import Flask, request
from flask_login import current_user
from werkzeug.wrappers import Response

from .extensions import login_manager

#: No inline script or style anywhere: everything comes from ``static/``.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Endpoints reachable without signing in (``checkin.form``: students check in with a code;
#: ``favicon``: browsers ask for ``/favicon.ico`` on every site, signed in or not).
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "checkin.form", "favicon"})


def init_app(app: Flask) -> None:
    """Require a login before every non-public endpoint and add the headers to every response."""
    app.before_request(require_login)
    app.after_request(add_security_headers)


def require_login() -> Response | None:
    """Send anonymous visitors to the login page (unknown URLs fall through to 404)."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated:
        return None
    response: Response = login_manager.unauthorized()
    return response


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        # Attendance lists are personal data: keep them out of shared caches and history.
        response.headers.setdefault("Cache-Control", "no-store")
    return response
