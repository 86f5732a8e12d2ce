"""Human oversight of automatic marks: camera coverage and the teacher's confirmation.

Coverage. The camera worker captures one frame every ``capture_interval_seconds`` (``I``).
For a class session running from ``starts_at`` to ``ends_at`` (length ``L`` seconds):

* ``frames_expected = max(1, ceil(L / I))`` — the capture ticks the session allows;
* ``frames_received`` — capture ticks at an instant ``t`` with ``starts_at <= t < ends_at``
  whose frame was read *and* analysed (ticks in the grace period before the start, ticks
  without a frame and frames that could not be analysed do not count);
* ``coverage = min(1, frames_received / frames_expected)``.

A session with ``coverage < min_frame_coverage`` (0.9 by default) is flagged ``incomplete``
when it is finalised, and nobody in it is marked absent automatically: a student the camera
never saw may simply have been there while the camera was not.

Confirmation. Automatic marks are provisional until a teacher confirms the session (one
click after reviewing). From then on the camera never creates or changes a record of that
session (sightings are still stored as evidence); a teacher can still correct marks by hand.
Confirming takes ``FOR UPDATE`` on the session row, which every automatic writer reads
``FOR SHARE`` (``attendance.services.records``), so no automatic change slips in after it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import ClassSession
from ..errors import Conflict, InvalidInput, NotFound
from .audit import record_audit

#: Share of the session the camera must have delivered frames for before absences are
#: inferred from "not seen" (the issue's 90 %).
DEFAULT_MIN_COVERAGE = 0.9


def frames_expected(starts_at: datetime, ends_at: datetime, interval_seconds: float) -> int:
    """Capture ticks a session from ``starts_at`` to ``ends_at`` allows at one tick every
    ``interval_seconds``: ``max(1, ceil(length / interval))``."""
    if interval_seconds <= 0:
        raise InvalidInput("capture interval must be positive, not %(interval_seconds)s",
                           interval_seconds=interval_seconds)
    length = (ends_at - starts_at).total_seconds()
    return max(1, math.ceil(length / interval_seconds - 1e-9))


def frame_coverage(received: int, expected: int) -> float:
    """Share of expected capture ticks that delivered an analysed frame, 0-1 (capped at 1:
    a restarted worker may capture slightly more often than the interval)."""
    if expected <= 0:
        raise InvalidInput("expected frames must be positive, not %(expected)s", expected=expected)
    return min(1.0, max(0, received) / expected)


def add_frame_coverage(
    session: Session, class_session_id: int, frame_times: Iterable[datetime]
) -> int:
    """Count the analysed frames captured at ``frame_times`` towards the session's
    ``frames_received``; only instants inside [starts_at, ends_at) count. Returns how many
    were counted. One atomic ``UPDATE ... + n``, safe with several writers."""
    row = session.get(ClassSession, class_session_id)
    if row is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    inside = sum(1 for t in frame_times if row.starts_at <= t < row.ends_at)
    if inside:
        session.execute(
            update(ClassSession)
            .where(ClassSession.id == class_session_id)
            .values(frames_received=ClassSession.frames_received + inside)
            .execution_options(synchronize_session=False)
        )
        session.expire(row, ["frames_received"])
    return inside


def confirm_session(
    session: Session,
    class_session_id: int,
    *,
    actor: str,
    now: datetime,
    user_id: int | None = None,
    by: Principal | None = None,
) -> ClassSession:
    """A teacher confirms the session's marks after reviewing them: audited
    (``session.confirm``), refused before the session has ended and when already confirmed.
    Students without a record stay without one (a teacher can mark them by hand). ``by``
    (None: the operator) must be allowed to change the session (``attendance.access``)."""
    access.load_class_session(session, by, Action.CHANGE_SESSION, class_session_id)
    if not actor.strip():
        raise InvalidInput("a confirmation needs an actor (who made it)")
    row = session.scalar(
        select(ClassSession)
        .where(ClassSession.id == class_session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    if now < row.ends_at:
        raise InvalidInput(
            "session %(class_session_id)s runs until %(ends_at)s; confirm its marks after it has "
            "ended", class_session_id=class_session_id, ends_at=row.ends_at
        )
    if row.confirmed_at is not None:
        raise Conflict(
            "session %(class_session_id)s was already confirmed by %(confirmed_by)s at "
            "%(confirmed_at)s",
            class_session_id=class_session_id, confirmed_by=row.confirmed_by,
            confirmed_at=row.confirmed_at
        )
    row.confirmed_at = now
    row.confirmed_by = actor
    record_audit(
        session, actor=actor, action="session.confirm", target_type="class_session",
        target_id=row.id, user_id=user_id,
        details={"incomplete": row.incomplete, "frames_received": row.frames_received,
                 "frames_expected": row.frames_expected,
                 "finalized": row.finalized_at is not None},
    )
    session.flush()
    return row


__all__ = [
    "DEFAULT_MIN_COVERAGE",
    "add_frame_coverage",
    "confirm_session",
    "frame_coverage",
    "frames_expected",
]
