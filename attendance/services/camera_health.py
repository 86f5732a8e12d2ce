"""How each classroom camera is doing, read from the worker's heartbeat, and what it does next.

Health of a camera at ``now`` (first rule that applies):

* ``never``: no heartbeat was ever stored (no worker has run for it);
* ``failing``: its ``last_error`` happened within :data:`FAILING_WITHIN` of ``now``; the
  worker stamps each error with its ISO time (``"2026-03-02T10:00:00+00:00 message"``), and
  an error without a readable stamp is dated by the last heartbeat, which carried it;
* ``alive``: the last heartbeat is at most :data:`ALIVE_WITHIN` old;
* ``stale``: otherwise (the worker stopped or lost the database).
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..camera_sources import redact_source, redact_text
from ..db import Camera, ClassSession, Course

#: A heartbeat younger than this means the worker is alive.
ALIVE_WITHIN = timedelta(minutes=2)
#: An error younger than this makes the camera "failing".
FAILING_WITHIN = timedelta(minutes=10)


class Health(enum.StrEnum):
    ALIVE = "alive"
    STALE = "stale"
    FAILING = "failing"
    NEVER = "never seen"


@dataclass(frozen=True)
class NextSession:
    """The running or next class session of a course filmed by the camera (UTC times)."""

    course_id: int
    course_code: str
    timezone: str
    class_session_id: int
    starts_at: datetime
    ends_at: datetime
    running: bool


@dataclass(frozen=True)
class CameraStatus:
    id: int
    name: str
    #: The source with its credentials removed (``attendance.camera_sources``).
    source: str
    health: Health
    last_heartbeat_at: datetime | None
    last_frame_at: datetime | None
    frames_processed: int
    faces_seen: int
    #: The worker's last error, with any URL credentials in it removed.
    last_error: str | None
    #: Earliest running or upcoming session, or None when none is materialised.
    next_session: NextSession | None


def camera_statuses(
    session: Session, now: datetime, *, course_ids: Collection[int] | None = None,
    camera_ids: Collection[int] | None = None,
) -> list[CameraStatus]:
    """Every camera by name with its health at ``now`` and its next session.

    With ``course_ids`` (a teacher's courses) only those courses' sessions are considered,
    and, unless ``camera_ids`` says which cameras to list, only cameras used by them.
    """
    query = select(Camera).order_by(Camera.name)
    if camera_ids is not None:
        query = query.where(Camera.id.in_(list(camera_ids)))
    elif course_ids is not None:
        query = query.where(Camera.id.in_(
            select(Course.camera_id).where(Course.id.in_(list(course_ids)))))
    cameras = list(session.scalars(query))
    upcoming = _next_sessions(session, now, [c.id for c in cameras], course_ids)
    return [
        CameraStatus(
            id=c.id, name=c.name, source=redact_source(c.source), health=health(c, now),
            last_heartbeat_at=c.last_heartbeat_at, last_frame_at=c.last_frame_at,
            frames_processed=c.frames_processed, faces_seen=c.faces_seen,
            last_error=redact_text(c.last_error) if c.last_error else None,
            next_session=upcoming.get(c.id),
        )
        for c in cameras
    ]


def health(camera: Camera, now: datetime) -> Health:
    """The camera's :class:`Health` at ``now`` (rules in the module docstring)."""
    if camera.last_heartbeat_at is None:
        return Health.NEVER
    if camera.last_error:
        error_at = _error_time(camera.last_error) or camera.last_heartbeat_at
        if now - error_at <= FAILING_WITHIN:
            return Health.FAILING
    if now - camera.last_heartbeat_at <= ALIVE_WITHIN:
        return Health.ALIVE
    return Health.STALE


def _error_time(message: str) -> datetime | None:
    stamp = message.split(" ", 1)[0]
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _next_sessions(
    session: Session, now: datetime, camera_ids: list[int], course_ids: Collection[int] | None
) -> dict[int, NextSession]:
    if not camera_ids:
        return {}
    query = (
        select(Course.camera_id, Course.id, Course.code, Course.timezone, ClassSession.id,
               ClassSession.starts_at, ClassSession.ends_at)
        .join(ClassSession, ClassSession.course_id == Course.id)
        .where(Course.camera_id.in_(camera_ids), ClassSession.ends_at > now)
        .order_by(ClassSession.starts_at)
    )
    if course_ids is not None:
        query = query.where(Course.id.in_(list(course_ids)))
    found: dict[int, NextSession] = {}
    for camera_id, course_id, code, zone, sid, starts, ends in session.execute(query):
        if camera_id is not None and camera_id not in found:
            found[camera_id] = NextSession(course_id, code, zone, sid, starts, ends,
                                           running=starts <= now)
    return found
