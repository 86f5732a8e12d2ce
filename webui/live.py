"""Live parts of a page: the JSON a page's ``static/live.js`` polls while something runs.

A page marks its container with ``data-live-url`` (this JSON) and ``data-live-version``; each
live part is an element with an id. The JSON is ``{"live": bool, "version": str, "parts":
{id: html}}``: the script replaces a part's content when the version changed (and the user
is not typing in it), and stops polling once ``live`` is false, reloading the page once so
it shows its final state. The version is a digest of the *data* shown, not of the HTML
(which holds per-request CSRF tokens), so an unchanged page is never redrawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from flask import jsonify
from werkzeug.wrappers import Response

#: Seconds between two polls of a live page.
POLL_SECONDS = 10


def version_of(data: object) -> str:
    """A short digest of ``data`` (its ``repr``: plain values, dataclasses, datetimes)."""
    return hashlib.sha256(repr(data).encode()).hexdigest()[:16]


def live_response(*, live: bool, version: str, parts: Mapping[str, str]) -> Response:
    """The JSON answer of a live endpoint (never cached)."""
    response = jsonify({"live": live, "version": version, "parts": dict(parts)})
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["POLL_SECONDS", "live_response", "version_of"]
