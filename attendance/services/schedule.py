"""Class sessions: materialised from a course's weekly schedule, or created ad hoc.

Wall-clock to UTC. A slot's start and end are local times in the course's IANA zone and are
converted with :mod:`zoneinfo` for each date separately, so a 09:00 class in Europe/Berlin
starts at 08:00 UTC in winter and 07:00 UTC in summer. Two local times are ambiguous, and we
resolve them deterministically (PEP 495, ``fold=0``):

* a time repeated when clocks fall back (e.g. 02:30 on the last Sunday of October in Berlin)
  means its *first* occurrence, still on summer time;
* a time that does not exist when clocks spring forward (e.g. 02:30 on the last Sunday of
  March in Berlin) is normalised *forward* by the length of the gap (02:30 → 03:30 CEST).
  Should that leave a slot's end at or before its start (a slot entirely inside the gap),
  the session keeps the slot's wall-clock duration from its normalised start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import ClassSession, Course
from ..errors import Conflict, InvalidInput, NotFound

logger = logging.getLogger(__name__)

#: Longest date range materialised in one call, days (guards against typos like 2205).
MAX_RANGE_DAYS = 400


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``zone`` (rules in module doc)."""
    local = datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=zone)
    # For a nonexistent time fold=0 applies the offset from before the transition, which
    # is exactly "shift forward by the gap"; for a repeated time it picks the first one.
    return local.astimezone(UTC)


def local_day_bounds(zone: ZoneInfo, first: date, last: date) -> tuple[datetime, datetime]:
    """UTC instants of local midnight starting ``first`` and local midnight ending ``last``."""
    return local_to_utc(first, time(0), zone), local_to_utc(last + timedelta(days=1), time(0), zone)


def materialize_sessions(
    session: Session, course_id: int, date_from: date, date_to: date, *,
    by: Principal | None = None,
) -> list[ClassSession]:
    """Create the class sessions of the course's weekly schedule on dates ``date_from`` to
    ``date_to`` inclusive (dates in the course's time zone); returns the ones created.

    Idempotent: sessions that already exist (same course and start, including ad-hoc ones)
    are left alone, and a concurrent process inserting the same session is tolerated.
    ``by`` (None: the operator) must be allowed to change the course (``attendance.access``).
    """
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound("no course with id %(course_id)s", course_id=course_id)
    access.require(session, by, Action.CHANGE_COURSE, course)
    if date_to < date_from:
        raise InvalidInput("date range %(date_from)s to %(date_to)s is empty; 'from' must come "
                           "first", date_from=date_from, date_to=date_to)
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidInput("date range is longer than %(days)s days; split it up",
                           days=MAX_RANGE_DAYS)
    zone = ZoneInfo(course.timezone)
    lower, upper = local_day_bounds(zone, date_from, date_to)
    existing = set(
        session.scalars(
            select(ClassSession.starts_at).where(
                ClassSession.course_id == course.id,
                ClassSession.starts_at >= lower,
                ClassSession.starts_at < upper,
            )
        )
    )
    created: list[ClassSession] = []
    for day in _days(date_from, date_to):
        for slot in course.schedule:
            if slot.weekday != day.weekday():
                continue
            starts_at = local_to_utc(day, slot.start_time, zone)
            if starts_at in existing:
                continue
            ends_at = local_to_utc(day, slot.end_time, zone)
            if ends_at <= starts_at:  # the whole slot fell into a spring-forward gap
                ends_at = starts_at + _wall_duration(slot.start_time, slot.end_time)
            row = ClassSession(
                course_id=course.id, starts_at=starts_at, ends_at=ends_at, schedule_id=slot.id
            )
            if _insert_if_absent(session, row):
                created.append(row)
    return created


def create_adhoc_session(
    session: Session, *, course_id: int, starts_at: datetime, ends_at: datetime
) -> ClassSession:
    """Create a one-off session (timezone-aware instants); :class:`Conflict` if the course
    already has a session starting at ``starts_at``."""
    if session.get(Course, course_id) is None:
        raise NotFound("no course with id %(course_id)s", course_id=course_id)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("session times need a time zone; give them in UTC or local time")
    if not starts_at < ends_at:
        raise InvalidInput("a session must end after it starts")
    row = ClassSession(
        course_id=course_id, starts_at=starts_at.astimezone(UTC), ends_at=ends_at.astimezone(UTC)
    )
    if not _insert_if_absent(session, row):
        raise Conflict(
            "the course already has a session starting at %(starts_at)s; use that one or pick "
            "another start", starts_at=starts_at
        )
    return row


def get_class_session(session: Session, class_session_id: int) -> ClassSession:
    """The class session with this id, or :class:`NotFound`."""
    row = session.get(ClassSession, class_session_id)
    if row is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    return row


def sessions_for_course(
    session: Session,
    course_id: int,
    *,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> list[ClassSession]:
    """The course's sessions starting in [``starts_from``, ``starts_before``), by start."""
    query = select(ClassSession).where(ClassSession.course_id == course_id)
    if starts_from is not None:
        query = query.where(ClassSession.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(ClassSession.starts_at < starts_before)
    return list(session.scalars(query.order_by(ClassSession.starts_at)))


def current_sessions(
    session: Session, now: datetime, grace: timedelta = timedelta(0)
) -> list[ClassSession]:
    """Sessions of every course running at ``now``, or starting within ``grace`` of it:
    ``starts_at - grace <= now < ends_at``. Ordered by start."""
    if now.tzinfo is None:
        raise InvalidInput("'now' needs a time zone (UTC)")
    query = (
        select(ClassSession)
        .where(ClassSession.starts_at <= now + grace, ClassSession.ends_at > now)
        .order_by(ClassSession.starts_at, ClassSession.id)
    )
    return list(session.scalars(query))


def _insert_if_absent(session: Session, row: ClassSession) -> bool:
    """Insert ``row`` in a SAVEPOINT; False if (course, start) exists (e.g. a racing process)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        logger.debug("session of course %s at %s already exists", row.course_id, row.starts_at)
        return False
    return True


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _wall_duration(start: time, end: time) -> timedelta:
    anchor = date(2000, 1, 1)
    return datetime.combine(anchor, end) - datetime.combine(anchor, start)
