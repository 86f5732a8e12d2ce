"""Read-only attendance reports: per-session counts, and one row per student and session.

Times in report rows are in the course's own time zone (what the teacher reads); the stored
UTC instants are converted here, once. A session's students are the current roster plus
anyone who already has a record for it (so a student removed later still shows up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, ClassSession, Course, Enrollment, Status, Student
from ..errors import InvalidInput, NotFound
from .schedule import MAX_RANGE_DAYS, local_day_bounds


@dataclass(frozen=True)
class SessionSummary:
    """One class session with its record counts by status."""

    id: int
    starts_at: datetime
    ends_at: datetime
    finalized_at: datetime | None
    present: int
    late: int
    absent: int
    excused: int
    #: When a teacher confirmed the marks (None: still provisional), and whether the camera
    #: covered too little of the session to infer absences.
    confirmed_at: datetime | None = None
    incomplete: bool = False


@dataclass(frozen=True)
class ReportRow:
    """One student in one class session. ``status`` is None while nothing is recorded;
    ``session_start``, ``session_end`` and ``first_seen`` are in the course's time zone."""

    course_code: str
    course_name: str
    timezone: str
    session_id: int
    session_start: datetime
    session_end: datetime
    student_id: int
    student_number: str
    student_name: str
    status: str | None
    first_seen: datetime | None
    sightings: int
    source: str | None
    reason: str | None
    #: ``provisional`` until a teacher confirms the session's marks, then ``confirmed``.
    session_state: str = "provisional"
    #: The camera covered less than ``min_frame_coverage`` of the session: nobody was marked
    #: absent automatically.
    session_incomplete: bool = False


def session_summaries(
    session: Session,
    course_id: int,
    *,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
) -> list[SessionSummary]:
    """The course's sessions starting in [``starts_from``, ``starts_before``), by start, with
    how many records each has per status (one query)."""
    record = AttendanceRecord

    def count(status: Status) -> ColumnElement[int]:
        return func.count(case((record.status == status.value, record.id)))

    query = (
        select(ClassSession.id, ClassSession.starts_at, ClassSession.ends_at,
               ClassSession.finalized_at, count(Status.PRESENT), count(Status.LATE),
               count(Status.ABSENT), count(Status.EXCUSED), ClassSession.confirmed_at,
               ClassSession.incomplete)
        .outerjoin(record, record.class_session_id == ClassSession.id)
        .where(ClassSession.course_id == course_id)
        .group_by(ClassSession.id, ClassSession.starts_at, ClassSession.ends_at,
                  ClassSession.finalized_at, ClassSession.confirmed_at,
                  ClassSession.incomplete)
        .order_by(ClassSession.starts_at)
    )
    if starts_from is not None:
        query = query.where(ClassSession.starts_at >= starts_from)
    if starts_before is not None:
        query = query.where(ClassSession.starts_at < starts_before)
    return [SessionSummary(*row) for row in session.execute(query)]


def session_report(session: Session, class_session_id: int) -> list[ReportRow]:
    """One row per student of the class session, by student number."""
    class_session = session.get(ClassSession, class_session_id)
    if class_session is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    return _rows(session, class_session.course, [class_session])


def course_report(
    session: Session, course_id: int, date_from: date, date_to: date
) -> list[ReportRow]:
    """Rows of every session of the course starting on local dates ``date_from`` to
    ``date_to`` inclusive, by session start, then student number."""
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound("no course with id %(course_id)s", course_id=course_id)
    if date_to < date_from:
        raise InvalidInput("date range %(date_from)s to %(date_to)s is empty; 'from' must come "
                           "first", date_from=date_from, date_to=date_to)
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidInput("date range is longer than %(days)s days; split it up",
                           days=MAX_RANGE_DAYS)
    lower, upper = local_day_bounds(ZoneInfo(course.timezone), date_from, date_to)
    sessions = session.scalars(
        select(ClassSession)
        .where(ClassSession.course_id == course.id, ClassSession.starts_at >= lower,
               ClassSession.starts_at < upper)
        .order_by(ClassSession.starts_at)
    ).all()
    return _rows(session, course, sessions)


def _rows(
    session: Session, course: Course, sessions: Sequence[ClassSession]
) -> list[ReportRow]:
    if not sessions:
        return []
    zone = ZoneInfo(course.timezone)
    roster = list(session.scalars(
        select(Student).join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.course_id == course.id)
    ))
    records: dict[int, dict[int, AttendanceRecord]] = {s.id: {} for s in sessions}
    extra: dict[int, Student] = {}
    found = session.execute(
        select(AttendanceRecord, Student)
        .join(Student, Student.id == AttendanceRecord.student_id)
        .where(AttendanceRecord.class_session_id.in_(list(records)))
    )
    for rec, student in found:
        records[rec.class_session_id][student.id] = rec
        extra[student.id] = student
    rows: list[ReportRow] = []
    for class_session in sessions:
        by_student = records[class_session.id]
        students = {s.id: s for s in roster}
        students.update((sid, extra[sid]) for sid in by_student)
        for student in sorted(students.values(), key=lambda s: s.student_number):
            rec = by_student.get(student.id)
            rows.append(ReportRow(
                course_code=course.code, course_name=course.name, timezone=course.timezone,
                session_id=class_session.id,
                session_start=class_session.starts_at.astimezone(zone),
                session_end=class_session.ends_at.astimezone(zone),
                student_id=student.id, student_number=student.student_number,
                student_name=student.display_name,
                status=rec.status if rec else None,
                first_seen=rec.first_seen_at.astimezone(zone)
                if rec and rec.first_seen_at else None,
                sightings=rec.sightings_count if rec else 0,
                source=rec.source if rec else None,
                reason=rec.reason if rec else None,
                session_state="confirmed" if class_session.confirmed_at else "provisional",
                session_incomplete=class_session.incomplete,
            ))
    return rows
