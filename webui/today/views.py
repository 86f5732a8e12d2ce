"""Today: the home page. Today's sessions of the courses the user may see (an admin: all),
each in its course's time zone: on now (with live counts), next, and over; refreshed by
``static/live.js`` from :func:`live` while anything is on or still to come."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from attendance.db import utcnow
from attendance.services.today import TodayView, today_view

from ..auth.identity import current_identity
from ..auth.session_limits import poll_endpoint
from ..db import get_session
from ..live import POLL_SECONDS, live_response, version_of
from ..recognition import recognition_setup

bp = Blueprint("today", __name__, url_prefix="/today")

#: The page's one live part: everything below the heading.
LIVE_PART = "today-sessions"


@bp.get("/")
def index() -> str:
    now = utcnow()
    view = _view(now)
    return render_template("today/index.html", **_context(view, now), poll_seconds=POLL_SECONDS,
                           version=_version(view))


@bp.get("/live.json")
@poll_endpoint
def live() -> Response:
    """Today's sessions, rendered, for ``static/live.js``."""
    now = utcnow()
    view = _view(now)
    return live_response(live=view.live, version=_version(view), parts={
        LIVE_PART: render_template("today/_sessions.html", **_context(view, now))})


def _view(now: datetime) -> TodayView:
    return today_view(get_session(), current_identity(), now, recognition_setup())


def _context(view: TodayView, now: datetime) -> dict[str, Any]:
    return {"view": view, "now": now}


def _version(view: TodayView) -> str:
    return version_of([
        [(e.class_session.id, e.phase, e.counts, e.to_review)
         for e in (*view.now, *view.next, *view.done)],
        [c.id for c in view.without_session],
    ])
