"""Attendance records: automatic marks from sightings, absences at the end, manual overrides.

Rules (one record per class session and student):

* every sighting of a rostered student counts once; the record's ``first_seen_at`` is the
  earliest sighting time seen so far, whatever order sightings arrive in;
* until ``min_sightings`` sightings are counted the record stays ``absent`` (unconfirmed);
  from then on it is ``late`` if ``first_seen_at`` is later than the session start plus the
  course's ``late_after_minutes``, else ``present``;
* a record whose ``source`` is ``manual`` (a teacher's override) is never changed by
  sightings or by :func:`finalize_session`;
* automatic marks are provisional until a teacher confirms the session
  (:func:`attendance.services.oversight.confirm_session`); in a confirmed session sightings
  are still stored as evidence, but no record is created or changed by them or by
  :func:`finalize_session` (a teacher can still correct a mark by hand);
* :func:`finalize_session` marks nobody absent when the camera covered less than
  ``min_coverage`` of the session (see :mod:`attendance.services.oversight`): the session is
  flagged ``incomplete`` instead, because "not seen" then says nothing.

Concurrency: several workers may record the same (session, student) at once. The record is
created with an INSERT that tolerates the unique constraint, then changed by one atomic
UPDATE (``sightings_count = sightings_count + 1``) on a row locked with ``SELECT ... FOR
UPDATE`` on PostgreSQL (SQLite serialises writers with ``BEGIN IMMEDIATE``): no duplicate
record, no lost count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from ..db import (
    AttendanceRecord,
    ClassSession,
    Course,
    Enrollment,
    Sighting,
    Source,
    Status,
    Student,
    consent_covers,
)
from ..db.base import UTCDateTime
from ..errors import InvalidInput, NotFound
from ._upsert import insert_ignoring_conflict
from .audit import record_audit
from .oversight import DEFAULT_MIN_COVERAGE, frame_coverage, frames_expected

#: A face box in pixels, (top, right, bottom, left) as face_recognition orders it.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SightingOutcome:
    """What :func:`record_sighting` did.

    ``duplicate``: the dedupe key was seen before, nothing was written or counted.
    ``record``: the student's attendance record after the update (None for unknown faces,
    and for a confirmed session where the student has no record).
    """

    sighting: Sighting
    duplicate: bool
    record: AttendanceRecord | None


def record_sighting(
    session: Session,
    *,
    class_session_id: int,
    student_id: int | None,
    seen_at: datetime,
    box: Box,
    evidence: Mapping[str, Any],
    camera_id: int | None = None,
    dedupe_key: str | None = None,
    min_sightings: int,
) -> SightingOutcome:
    """Store one sighting and, for a recognised student, count it towards attendance.

    ``student_id`` None means an unknown face (stored as evidence only). ``evidence`` holds
    per-model decision figures (distances, thresholds, versions). A ``dedupe_key`` already
    stored makes the call a no-op, so a retried write neither duplicates nor counts twice.
    A student who is not on the course roster is refused with :class:`InvalidInput`; one
    without an active consent covering the course (withdrawn while the sighting waited in a
    worker's spool) is stored as an unknown face, and no model's candidate names them.
    """
    _check_aware(seen_at, "seen_at")
    _class_session, course = _session_and_course(session, class_session_id)
    if student_id is not None:
        _require_on_roster(session, course, student_id)
    named = _candidates(evidence) | ({student_id} if student_id is not None else set())
    consenting = _consenting(session, course.id, named)
    if student_id not in consenting:
        student_id = None
    evidence = _without_candidates(evidence, named - consenting)
    if dedupe_key is not None and not 0 < len(dedupe_key) <= 64:
        raise InvalidInput("dedupe_key must be 1 to 64 characters")
    values = {
        "class_session_id": class_session_id,
        "camera_id": camera_id,
        "seen_at": seen_at,
        "student_id": student_id,
        "evidence": dict(evidence),
        "box_top": box[0],
        "box_right": box[1],
        "box_bottom": box[2],
        "box_left": box[3],
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        sighting = Sighting(**values)
        session.add(sighting)
        session.flush()
        inserted = True
    else:
        inserted = insert_ignoring_conflict(session, Sighting.__table__, values, ["dedupe_key"])
        sighting = session.execute(
            select(Sighting).where(Sighting.dedupe_key == dedupe_key)
        ).scalar_one()
    if student_id is None:
        return SightingOutcome(sighting, not inserted, None)
    if not inserted:
        current = session.scalar(
            select(AttendanceRecord).where(
                AttendanceRecord.class_session_id == class_session_id,
                AttendanceRecord.student_id == student_id,
            )
        )
        return SightingOutcome(sighting, True, current)
    record = count_sighting(
        session,
        class_session_id=class_session_id,
        student_id=student_id,
        seen_at=seen_at,
        min_sightings=min_sightings,
    )
    return SightingOutcome(sighting, False, record)


def _candidates(evidence: Mapping[str, Any]) -> set[int]:
    """The student ids the models named in ``evidence`` (``{model: {"candidate": id}}``)."""
    return {entry["candidate"] for entry in evidence.values()
            if isinstance(entry, Mapping) and isinstance(entry.get("candidate"), int)}


def _consenting(session: Session, course_id: int, student_ids: set[int]) -> set[int]:
    """Those of ``student_ids`` with an active consent covering the course."""
    if not student_ids:
        return set()
    return set(session.scalars(select(Student.id).where(
        Student.id.in_(student_ids), consent_covers(Student.id, course_id))))


def _without_candidates(evidence: Mapping[str, Any], unnamed: set[int]) -> dict[str, Any]:
    """``evidence`` with the candidates in ``unnamed`` removed (and not accepted)."""
    return {
        model: {**entry, "candidate": None, "accepted": False}
        if isinstance(entry, Mapping) and entry.get("candidate") in unnamed else entry
        for model, entry in evidence.items()
    }


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
    _check_aware(seen_at, "seen_at")
    if min_sightings < 1:
        raise InvalidInput(f"min_sightings must be at least 1, not {min_sightings}")
    # FOR SHARE: a teacher's confirmation (FOR UPDATE on the same row) waits for this
    # transaction, or this one sees the confirmation; never a change after it.
    class_session, course = _session_and_course(session, class_session_id, lock="share")
    _require_on_roster(session, course, student_id)
    if class_session.confirmed_at is not None:
        return _find_record(session, class_session_id, student_id)
    record = _lock_record(session, class_session_id, student_id)
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
    return _reload(session, record.id)


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
    _check_aware(now, "now")
    # FOR UPDATE: this transaction writes the session row (finalized_at, coverage), so it
    # must not hold a share lock it would later have to upgrade (a deadlock with another).
    class_session, course = _session_and_course(session, class_session_id, lock="update")
    if now < class_session.ends_at:
        raise InvalidInput(
            f"session {class_session_id} runs until {class_session.ends_at.isoformat()}; "
            "finalize it after it has ended"
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
            _new_record(class_session_id, student_id),
            ["class_session_id", "student_id"],
        )
    session.flush()
    return created


def override_attendance(
    session: Session,
    *,
    class_session_id: int,
    student_id: int,
    status: Status | str,
    reason: str,
    actor: str,
    user_id: int | None = None,
) -> AttendanceRecord:
    """Set a student's status by hand (present/late/absent/excused), with a required reason.

    The record becomes ``manual`` and automatic updates never touch it again. An audit entry
    ``attendance.override`` keeps the old and new status, the reason and who did it.
    """
    try:
        new_status = Status(status)
    except ValueError as exc:
        valid = ", ".join(s.value for s in Status)
        raise InvalidInput(f"status {status!r} is not one of {valid}") from exc
    reason = reason.strip()
    if not reason:
        raise InvalidInput("a correction needs a reason; say why the mark is changed")
    if not actor.strip():
        raise InvalidInput("a correction needs an actor (who made it)")
    _class_session, course = _session_and_course(session, class_session_id)
    existing = _find_record(session, class_session_id, student_id)
    if existing is None:
        _require_on_roster(session, course, student_id)
    record = _lock_record(session, class_session_id, student_id)
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


def _lock_record(session: Session, class_session_id: int, student_id: int) -> AttendanceRecord:
    """Make sure the record exists, then load it locked (FOR UPDATE; ignored by SQLite)."""
    insert_ignoring_conflict(
        session,
        AttendanceRecord.__table__,
        _new_record(class_session_id, student_id),
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


def _reload(session: Session, record_id: int) -> AttendanceRecord:
    query = (
        select(AttendanceRecord)
        .where(AttendanceRecord.id == record_id)
        .execution_options(populate_existing=True)
    )
    return session.execute(query).scalar_one()


def _find_record(
    session: Session, class_session_id: int, student_id: int
) -> AttendanceRecord | None:
    return session.scalar(
        select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == class_session_id,
            AttendanceRecord.student_id == student_id,
        )
    )


def _new_record(class_session_id: int, student_id: int) -> dict[str, Any]:
    return {
        "class_session_id": class_session_id,
        "student_id": student_id,
        "status": Status.ABSENT.value,
        "source": Source.AUTO.value,
        "sightings_count": 0,
    }


def _session_and_course(
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
        raise NotFound(f"no class session with id {class_session_id}")
    return class_session, class_session.course


def _require_on_roster(session: Session, course: Course, student_id: int) -> None:
    if session.get(Enrollment, (course.id, student_id)) is None:
        raise InvalidInput(
            f"student {student_id} is not on the roster of course {course.code}; "
            "add them to the roster first"
        )


def _check_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone (UTC)")
