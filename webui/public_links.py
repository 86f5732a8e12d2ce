"""Links that people type on another device (the check-in page on a student's phone).

``url_for(..., _external=True)`` gives the address the current browser used, which is
``http://127.0.0.1:5000`` on the machine running the dashboard: no phone can open that. The
setting ``public_url`` names the address other devices use; without it the request's own
address is shown, and templates warn (``link_unreachable``) when it is a loopback address.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from flask import Flask, current_app, request, url_for

from attendance.config import Settings

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def public_link(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` as other devices reach it."""
    settings: Settings = current_app.extensions["attendance.settings"]
    if settings.public_url:
        return settings.public_url.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def link_unreachable() -> bool:
    """True when :func:`public_link` falls back to a loopback address (127.0.0.1,
    localhost, ::1) that no other device can open."""
    settings: Settings = current_app.extensions["attendance.settings"]
    if settings.public_url:
        return False
    return is_loopback(request.host)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (``name[:port]`` or ``[v6]:port``) names this machine only."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else \
        host.rsplit(":", 1)[0]
    if name.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def init_app(app: Flask) -> None:
    app.jinja_env.globals["public_link"] = public_link
    app.jinja_env.globals["link_unreachable"] = link_unreachable
