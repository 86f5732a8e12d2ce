"""Row helpers shared by the attendance services (records, sightings, finalisation): the
class session and its course, the roster check, and one attendance record created or locked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, ClassSession, Course, Enrollment, Source, Status
from ..errors import InvalidInput, NotFound
from ._upsert import insert_ignoring_conflict


def session_and_course(
    session: Session, class_session_id: int, *, lock: Literal["share", "update"] | None = None
) -> tuple[ClassSession, Course]:
    """The class session and its course; ``lock`` reads the session row fresh and
    ``FOR SHARE`` / ``FOR UPDATE`` on PostgreSQL (SQLite serialises writers anyway), so a
    concurrent confirmation is either seen or waits."""
    if lock is not None:
        class_session = session.scalar(
            select(ClassSession)
            .where(ClassSession.id == class_session_id)
            .with_for_update(read=lock == "share")
            .execution_options(populate_existing=True)
        )
    else:
        class_session = session.get(ClassSession, class_session_id)
    if class_session is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    return class_session, class_session.course


def require_on_roster(session: Session, course: Course, student_id: int) -> None:
    if session.get(Enrollment, (course.id, student_id)) is None:
        raise InvalidInput(
            "student %(student_id)s is not on the roster of course %(code)s; add them to the "
            "roster first", student_id=student_id, code=course.code
        )


def check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InvalidInput("%(name)s needs a time zone (UTC)", name=name)


def lock_record(session: Session, class_session_id: int, student_id: int) -> AttendanceRecord:
    """Make sure the record exists, then load it locked (FOR UPDATE; ignored by SQLite)."""
    insert_ignoring_conflict(
        session,
        AttendanceRecord.__table__,
        new_record(class_session_id, student_id),
        ["class_session_id", "student_id"],
    )
    query = (
        select(AttendanceRecord)
        .where(
            and_(
                AttendanceRecord.class_session_id == class_session_id,
                AttendanceRecord.student_id == student_id,
            )
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one()


def reload_record(session: Session, record_id: int) -> AttendanceRecord:
    query = (
        select(AttendanceRecord)
        .where(AttendanceRecord.id == record_id)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one()


def find_record(
    session: Session, class_session_id: int, student_id: int
) -> AttendanceRecord | None:
    return session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == class_session_id,
            AttendanceRecord.student_id == student_id,
        )
    )


def new_record(class_session_id: int, student_id: int) -> dict[str, Any]:
    return {
        "class_session_id": class_session_id,
        "student_id": student_id,
        "status": Status.ABSENT.value,
        "source": Source.AUTO.value,
        "sightings_count": 0,
    }


__all__ = ["check_aware", "find_record", "lock_record", "new_record", "reload_record",
           "require_on_roster", "session_and_course"]
