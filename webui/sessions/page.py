"""What one session's page shows: its students with their marks, who cannot be recognised and
why, the counts and rate, and whether the page refreshes by itself (while the session runs).

Shared by the page itself and its live JSON (``webui.live``), so both show the same figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy.orm import Session

from attendance.config import Settings
from attendance.db import ClassSession
from attendance.services.evidence import BestMatch, best_matches
from attendance.services.recognisability import roster_obstacles
from attendance.services.reports import ReportRow, session_report
from attendance.services.review_queue import pending_count
from attendance.services.session_counts import SessionCounts, live_status, session_counts
from attendance.thumbnail_files import existing_thumbnail

from ..live import version_of
from ..recognition import recognition_setup
from .forms import OverrideForm, override_form

#: The page's live parts: element id -> template.
LIVE_PARTS = {"session-summary": "sessions/_summary.html",
              "session-students": "sessions/_students.html"}


class Phase(enum.StrEnum):
    """Where the session stands in time."""

    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


@dataclass
class SessionPage:
    """Everything the session page's templates need."""

    class_session: ClassSession
    rows: list[ReportRow]
    counts: SessionCounts
    #: Per student: the mark as it stands (None: not seen yet), why they cannot be
    #: recognised, their best match and whether its thumbnail is kept.
    statuses: dict[int, str | None]
    obstacles: dict[int, list[str]]
    matches: dict[int, BestMatch]
    with_thumbnail: set[int]
    to_review: int
    phase: Phase
    now: datetime
    #: The page refreshes itself (from shortly before the start until the end).
    live: bool
    forms: dict[int, OverrideForm] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """Digest of the figures the live parts show."""
        return version_of((
            [(r.student_id, r.status, r.first_seen, r.sightings, r.source, r.reason)
             for r in self.rows],
            self.counts, sorted(self.obstacles.items()), self.to_review, self.phase,
            sorted((k, m.sighting_id) for k, m in self.matches.items()),
            sorted(self.with_thumbnail), self.class_session.confirmed_at,
        ))

    def context(self) -> dict[str, Any]:
        """The template variables."""
        return {"class_session": self.class_session, "course": self.class_session.course,
                "page": self, "rows": self.rows, "forms": self.forms, "now": self.now,
                "matches": self.matches, "with_thumbnail": self.with_thumbnail}

    def parts(self) -> dict[str, str]:
        """The live parts, rendered."""
        context = self.context()
        return {part: render_template(template, **context)
                for part, template in LIVE_PARTS.items()}


def session_page(session: Session, class_session: ClassSession, now: datetime,
                 failed: dict[int, OverrideForm] | None = None) -> SessionPage:
    """Read what the page of ``class_session`` shows at ``now``; ``failed``: correction forms
    that did not validate (shown open, with their errors)."""
    settings: Settings = current_app.extensions["attendance.settings"]
    rows = session_report(session, class_session.id)
    finalized = class_session.finalized_at is not None
    obstacles = roster_obstacles(session, class_session.course, recognition_setup())
    matches = best_matches(session, class_session.id)
    with_thumbnail = {m.sighting_id for m in matches.values()
                      if existing_thumbnail(settings.instance_path, m.seen_at, m.dedupe_key)
                      is not None}
    grace = timedelta(minutes=settings.capture_grace_minutes)
    page = SessionPage(
        class_session, rows, session_counts(rows, finalized, obstacles),
        {r.student_id: live_status(r, finalized) for r in rows}, obstacles, matches,
        with_thumbnail, pending_count(session, class_session.id), _phase(class_session, now),
        now, class_session.starts_at - grace <= now < class_session.ends_at)
    failed = failed or {}
    for row in rows:
        form = failed.get(row.student_id) or override_form(row.student_id)
        if row.student_id not in failed and row.status:
            form.status.data = row.status
        page.forms[row.student_id] = form
    return page


def _phase(class_session: ClassSession, now: datetime) -> Phase:
    if now < class_session.starts_at:
        return Phase.UPCOMING
    return Phase.RUNNING if now < class_session.ends_at else Phase.ENDED


__all__ = ["LIVE_PARTS", "Phase", "SessionPage", "session_page"]
