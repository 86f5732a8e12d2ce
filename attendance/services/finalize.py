"""Closing a class session: everyone never confirmed by the camera is marked absent, unless
the camera saw too little of the session to say (then it is flagged incomplete)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, Enrollment, Source, Status, Student
from ..errors import InvalidInput
from ._record_rows import check_aware, new_record, session_and_course
from ._upsert import insert_ignoring_conflict
from .oversight import DEFAULT_MIN_COVERAGE, frame_coverage, frames_expected


def finalize_session(
    session: Session,
    class_session_id: int,
    now: datetime,
    *,
    capture_interval_seconds: float | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> int:
    """Close a session: every active roster student without a record is marked absent, and
    ``finalized_at`` is set to ``now`` (the first time only). Idempotent; returns the number
    of absences created. Refused before the session has ended.

    ``capture_interval_seconds`` (given by the camera worker) turns on the coverage check:
    ``frames_expected`` is stored and, when :func:`~.oversight.frame_coverage` is below
    ``min_coverage`` (0-1), the session is flagged ``incomplete`` and nobody is marked
    absent (automatic records still below ``min_sightings`` are removed too; their
    sightings stay). Without it (sightings replayed by the benchmark, no camera) coverage is not
    judged. A confirmed session's records are never touched.
    """
    check_aware(now, "now")
    # FOR UPDATE: this transaction writes the session row (finalized_at, coverage), so it
    # must not hold a share lock it would later have to upgrade (a deadlock with another).
    class_session, course = session_and_course(session, class_session_id, lock="update")
    if now < class_session.ends_at:
        raise InvalidInput(
            "session %(class_session_id)s runs until %(ends_at)s; finalize it after it has ended",
            class_session_id=class_session_id, ends_at=class_session.ends_at
        )
    if class_session.finalized_at is None:
        class_session.finalized_at = now
    if class_session.confirmed_at is not None or not course.face_recognition_enabled:
        session.flush()
        return 0
    if capture_interval_seconds is not None:
        expected = frames_expected(class_session.starts_at, class_session.ends_at,
                                   capture_interval_seconds)
        class_session.frames_expected = expected
        coverage = frame_coverage(class_session.frames_received, expected)
        class_session.incomplete = coverage < min_coverage
        if class_session.incomplete:
            # Sightings below min_sightings left "absent" records: drop them (the sightings
            # stay as evidence), so nobody in a blind session is shown absent by the camera.
            session.execute(
                delete(AttendanceRecord)
                .where(AttendanceRecord.class_session_id == class_session_id,
                       AttendanceRecord.source == Source.AUTO.value,
                       AttendanceRecord.status == Status.ABSENT.value)
                .execution_options(synchronize_session=False)
            )
            session.flush()
            return 0
    students = session.scalars(
        select(Enrollment.student_id)
        .join(Student, Student.id == Enrollment.student_id)
        .where(Enrollment.course_id == course.id, Student.active.is_(True))
        .order_by(Enrollment.student_id)
    ).all()
    created = 0
    for student_id in students:
        created += insert_ignoring_conflict(
            session,
            AttendanceRecord.__table__,
            new_record(class_session_id, student_id),
            ["class_session_id", "student_id"],
        )
    session.flush()
    return created


__all__ = ["finalize_session"]
