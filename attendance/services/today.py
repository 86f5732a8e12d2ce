"""A teacher's day: today's class sessions of the courses they may see, what is on now, what
comes next, and how the running ones stand.

"Today" is each course's own local date (its time zone), so a course taught in another zone
shows its own today. Every session comes with its :class:`~.session_counts.SessionCounts`;
a course whose weekly schedule meets today but has
no session created for today is listed apart, since the camera films only sessions.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import access
from ..access import Principal
from ..db import ClassSession, Course
from .recognisability import RecognitionSetup, roster_obstacles
from .reports import session_report
from .review_queue import pending_count
from .session_counts import SessionCounts, session_counts

#: Sessions starting this close around now are read, then kept when on the course's date.
_WINDOW = timedelta(hours=38)


class Phase(enum.StrEnum):
    """Where a session of today stands at the moment asked."""

    NOW = "now"  # started, not ended
    NEXT = "next"  # starts later today
    DONE = "done"  # ended


@dataclass(frozen=True)
class TodayEntry:
    """One session of today, with its counts (before the start: who is on the roster and who
    cannot be recognised) and ``to_review``, the students with unsure sightings waiting in
    the review queue."""

    class_session: ClassSession
    course: Course
    phase: Phase
    counts: SessionCounts
    to_review: int = 0


@dataclass(frozen=True)
class TodayView:
    """Today's sessions by phase (each by start), and courses meeting today by their
    schedule but without a session created."""

    now: list[TodayEntry]
    next: list[TodayEntry]
    done: list[TodayEntry]
    without_session: list[Course]

    @property
    def live(self) -> bool:
        """Whether anything is on now or still to come today (worth refreshing for)."""
        return bool(self.now or self.next)

    @property
    def empty(self) -> bool:
        return not (self.now or self.next or self.done or self.without_session)


def local_today(course: Course, now: datetime) -> datetime:
    """``now`` in the course's time zone (its date is the course's today)."""
    return now.astimezone(ZoneInfo(course.timezone))


def today_view(session: Session, principal: Principal, now: datetime,
               setup: RecognitionSetup) -> TodayView:
    """Today's sessions of every course ``principal`` may see (all, for an admin)."""
    courses = {c.id: c for c in access.visible_courses(session, principal)}
    if not courses:
        return TodayView([], [], [], [])
    found = session.scalars(
        select(ClassSession).options(selectinload(ClassSession.course))
        .where(ClassSession.course_id.in_(list(courses)),
               ClassSession.starts_at >= now - _WINDOW, ClassSession.starts_at < now + _WINDOW)
        .order_by(ClassSession.starts_at, ClassSession.id))
    phases: dict[Phase, list[TodayEntry]] = {p: [] for p in Phase}
    meeting: set[int] = set()
    for class_session in found:
        course = courses[class_session.course_id]
        zone = ZoneInfo(course.timezone)
        phase = _phase(class_session, now)
        # A session running now is today's even when it began before midnight.
        if (phase is not Phase.NOW
                and class_session.starts_at.astimezone(zone).date() != now.astimezone(zone).date()):
            continue
        meeting.add(course.id)
        to_review = 0 if phase is Phase.NEXT else pending_count(session, class_session.id)
        phases[phase].append(TodayEntry(class_session, course, phase,
                                        counts_of(session, class_session, setup), to_review))
    return TodayView(phases[Phase.NOW], phases[Phase.NEXT], phases[Phase.DONE],
                     _without_session(session, [c for c in courses.values()
                                                if c.id not in meeting], now))


def counts_of(session: Session, class_session: ClassSession,
              setup: RecognitionSetup) -> SessionCounts:
    """The :class:`SessionCounts` of one class session as it stands."""
    rows = session_report(session, class_session.id)
    return session_counts(rows, class_session.finalized_at is not None,
                          roster_obstacles(session, class_session.course, setup))


def _phase(class_session: ClassSession, now: datetime) -> Phase:
    if class_session.ends_at <= now:
        return Phase.DONE
    return Phase.NOW if class_session.starts_at <= now else Phase.NEXT


def _without_session(session: Session, courses: Sequence[Course],
                     now: datetime) -> list[Course]:
    """Those of ``courses`` whose weekly schedule has a slot on their today."""
    if not courses:
        return []
    loaded = session.scalars(select(Course).options(selectinload(Course.schedule))
                             .where(Course.id.in_([c.id for c in courses]))
                             .order_by(Course.code))
    return [c for c in loaded
            if any(slot.weekday == local_today(c, now).weekday() for slot in c.schedule)]


__all__ = ["Phase", "TodayEntry", "TodayView", "counts_of", "local_today", "today_view"]
