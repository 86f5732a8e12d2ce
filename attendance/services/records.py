"""Attendance records: automatic marks from sightings, absences at the end, manual overrides.

Rules (one record per class session and student):

* every sighting of a rostered student counts once; the record's ``first_seen_at`` is the
  earliest sighting time seen so far, whatever order sightings arrive in;
* until ``min_sightings`` sightings are counted the record stays ``absent`` (unconfirmed);
  from then on it is ``late`` if ``first_seen_at`` is later than the session start plus the
  course's ``late_after_minutes``, else ``present``;
* a record whose ``source`` is ``manual`` (a teacher's override) is never changed by
  sightings or by :func:`~.finalize.finalize_session`;
* automatic marks are provisional until a teacher confirms the session
  (:func:`attendance.services.oversight.confirm_session`); in a confirmed session sightings
  are still stored as evidence, but no record is created or changed by them or by
  :func:`~.finalize.finalize_session` (a teacher can still correct a mark by hand);
* :func:`~.finalize.finalize_session` marks nobody absent when the camera covered less than
  ``min_coverage`` of the session (see :mod:`attendance.services.oversight`): the session is
  flagged ``incomplete`` instead, because "not seen" then says nothing.

Concurrency: several workers may record the same (session, student) at once. The record is
created with an INSERT that tolerates the unique constraint, then changed by one atomic
UPDATE (``sightings_count = sightings_count + 1``) on a row locked with ``SELECT ... FOR
UPDATE`` on PostgreSQL (SQLite serialises writers with ``BEGIN IMMEDIATE``): no duplicate
record, no lost count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import AttendanceRecord, Source, Status
from ..db.base import UTCDateTime
from ..errors import InvalidInput
from ._record_rows import (
    check_aware,
    find_record,
    lock_record,
    reload_record,
    require_on_roster,
    session_and_course,
)
from .audit import record_audit


def count_sighting(
    session: Session,
    *,
    class_session_id: int,
    student_id: int,
    seen_at: datetime,
    min_sightings: int,
) -> AttendanceRecord | None:
    """Count one sighting of ``student_id`` at ``seen_at`` in the student's record.

    Creates the record if needed; ``min_sightings`` (>= 1) sightings confirm presence.
    A manual record is returned unchanged. In a confirmed session nothing is created or
    changed: the existing record (or None) is returned.
    """
    check_aware(seen_at, "seen_at")
    if min_sightings < 1:
        raise InvalidInput("min_sightings must be at least 1, not %(min_sightings)s",
                           min_sightings=min_sightings)
    # FOR SHARE: a teacher's confirmation (FOR UPDATE on the same row) waits for this
    # transaction, or this one sees the confirmation; never a change after it.
    class_session, course = session_and_course(session, class_session_id, lock="share")
    require_on_roster(session, course, student_id)
    if class_session.confirmed_at is not None:
        return find_record(session, class_session_id, student_id)
    record = lock_record(session, class_session_id, student_id)
    if record.source == Source.MANUAL:
        return record

    table = AttendanceRecord
    seen = literal(seen_at, UTCDateTime())
    cutoff = literal(
        class_session.starts_at + timedelta(minutes=course.late_after_minutes), UTCDateTime()
    )
    first = case(
        (or_(table.first_seen_at.is_(None), table.first_seen_at > seen), seen),
        else_=table.first_seen_at,
    )
    status = case(
        (
            table.sightings_count + 1 >= min_sightings,
            case((first > cutoff, Status.LATE.value), else_=Status.PRESENT.value),
        ),
        else_=table.status,
    )
    session.execute(
        update(table)
        .where(table.id == record.id, table.source == Source.AUTO.value)
        .values(sightings_count=table.sightings_count + 1, first_seen_at=first, status=status)
        .execution_options(synchronize_session=False)
    )
    return reload_record(session, record.id)


def override_attendance(
    session: Session,
    *,
    class_session_id: int,
    student_id: int,
    status: Status | str,
    reason: str,
    actor: str,
    user_id: int | None = None,
    by: Principal | None = None,
) -> AttendanceRecord:
    """Set a student's status by hand (present/late/absent/excused), with a required reason.

    The record becomes ``manual`` and automatic updates never touch it again. An audit entry
    ``attendance.override`` keeps the old and new status, the reason and who did it. ``by``
    (None: the operator) must be allowed to change the session (``attendance.access``).
    """
    access.load_class_session(session, by, Action.CHANGE_SESSION, class_session_id)
    try:
        new_status = Status(status)
    except ValueError as exc:
        valid = ", ".join(s.value for s in Status)
        raise InvalidInput("status %(status)r is not one of %(valid)s",
                           status=status, valid=valid) from exc
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a correction needs a reason; say why the mark is changed")
    if not actor.strip():
        raise InvalidInput("a correction needs an actor (who made it)")
    _class_session, course = session_and_course(session, class_session_id)
    existing = find_record(session, class_session_id, student_id)
    if existing is None:
        require_on_roster(session, course, student_id)
    record = lock_record(session, class_session_id, student_id)
    old_status, old_source = (None, None) if existing is None else (record.status, record.source)
    record.status = new_status.value
    record.source = Source.MANUAL.value
    record.reason = reason
    record.updated_by = actor
    record_audit(
        session,
        actor=actor,
        action="attendance.override",
        target_type="attendance_record",
        target_id=record.id,
        user_id=user_id,
        details={
            "class_session_id": class_session_id,
            "student_id": student_id,
            "old_status": old_status,
            "old_source": old_source,
            "new_status": new_status.value,
            "reason": reason,
        },
    )
    session.flush()
    return record


def records_for_session(session: Session, class_session_id: int) -> list[AttendanceRecord]:
    """Every attendance record of a class session, by student id."""
    return list(
        session.scalars(
            select(AttendanceRecord)
            .where(AttendanceRecord.class_session_id == class_session_id)
            .order_by(AttendanceRecord.student_id)
        )
    )


__all__ = ["count_sighting", "override_attendance", "records_for_session"]
