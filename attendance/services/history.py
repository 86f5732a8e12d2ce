"""Attendance over time: a student's history, a course's students × sessions matrix, and
the course's attendance rate per session.

Attendance rate = (present + late) / (present + late + absent). Excused marks and sessions
without a mark (not finalised yet) are left out of both counts, so a rate is None when
nothing countable exists; each rate comes with its :class:`~.rates.RateFigures`, which say
what it left out. Only sessions that have started by ``now`` are included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, ClassSession, Course, Enrollment, Student
from .rates import RateFigures, rate_figures

#: Most recent sessions shown in a course matrix.
MATRIX_SESSIONS = 40


def attendance_rate(statuses: Iterable[str | None]) -> float | None:
    """Share (0-1) of countable marks that are present or late; None with none countable."""
    return rate_figures(statuses).rate


@dataclass(frozen=True)
class HistoryEntry:
    course_id: int
    course_code: str
    class_session_id: int
    #: Session start in the course's time zone.
    starts_at: datetime
    status: str | None
    source: str | None


@dataclass(frozen=True)
class StudentHistory:
    student: Student
    entries: list[HistoryEntry]
    rate: float | None
    counts: dict[str, int]


def student_history(
    session: Session, student_id: int, now: datetime, *, course_ids: Collection[int] | None = None
) -> StudentHistory | None:
    """Every started session of the student's courses (roster now, or a record exists),
    newest first; limited to ``course_ids`` when given. None if the student does not exist."""
    student = session.get(Student, student_id)
    if student is None:
        return None
    rostered = select(Enrollment.course_id).where(Enrollment.student_id == student_id)
    recorded = (select(ClassSession.course_id)
                .join(AttendanceRecord, AttendanceRecord.class_session_id == ClassSession.id)
                .where(AttendanceRecord.student_id == student_id))
    query = (
        select(ClassSession, Course, AttendanceRecord)
        .join(Course, Course.id == ClassSession.course_id)
        .outerjoin(AttendanceRecord, (AttendanceRecord.class_session_id == ClassSession.id)
                   & (AttendanceRecord.student_id == student_id))
        .where(ClassSession.starts_at <= now,
               ClassSession.course_id.in_(rostered.union(recorded).scalar_subquery()))
        .order_by(ClassSession.starts_at.desc())
    )
    if course_ids is not None:
        query = query.where(ClassSession.course_id.in_(list(course_ids)))
    entries = [
        HistoryEntry(course.id, course.code, cs.id, cs.starts_at.astimezone(
            ZoneInfo(course.timezone)), rec.status if rec else None, rec.source if rec else None)
        for cs, course, rec in session.execute(query).tuples()
    ]
    statuses = [e.status for e in entries]
    counts = Counter(s or "unrecorded" for s in statuses)
    return StudentHistory(student, entries, attendance_rate(statuses), dict(counts))


@dataclass(frozen=True)
class MatrixSession:
    id: int
    #: Start in the course's time zone.
    starts_at: datetime
    rate: float | None
    #: The rate's basis: recorded marks, and what was left out.
    figures: RateFigures = RateFigures()


@dataclass(frozen=True)
class MatrixRow:
    student_id: int
    student_number: str
    student_name: str
    #: Status per session of :attr:`CourseMatrix.sessions`, in the same order.
    cells: list[str | None]
    rate: float | None


@dataclass(frozen=True)
class CourseMatrix:
    sessions: list[MatrixSession]
    rows: list[MatrixRow]
    rate: float | None
    #: The overall rate's basis: recorded marks, and what was left out.
    figures: RateFigures = RateFigures()


def course_matrix(
    session: Session, course: Course, now: datetime, *, limit: int = MATRIX_SESSIONS
) -> CourseMatrix:
    """Students (roster plus anyone with a record) × the last ``limit`` started sessions,
    oldest first."""
    zone = ZoneInfo(course.timezone)
    recent = list(session.scalars(
        select(ClassSession)
        .where(ClassSession.course_id == course.id, ClassSession.starts_at <= now)
        .order_by(ClassSession.starts_at.desc()).limit(limit)
    ))[::-1]
    ids = [s.id for s in recent]
    marks: dict[tuple[int, int], str] = {
        (sid, stid): status for sid, stid, status in session.execute(
            select(AttendanceRecord.class_session_id, AttendanceRecord.student_id,
                   AttendanceRecord.status)
            .where(AttendanceRecord.class_session_id.in_(ids))
        ).tuples()
    }
    students = {s.id: s for s in session.scalars(
        select(Student).join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.course_id == course.id))}
    extra = {stid for _sid, stid in marks} - students.keys()
    if extra:
        students.update((s.id, s) for s in session.scalars(
            select(Student).where(Student.id.in_(extra))))
    rows = []
    for student in sorted(students.values(), key=lambda s: s.student_number):
        cells = [marks.get((sid, student.id)) for sid in ids]
        rows.append(MatrixRow(student.id, student.student_number, student.display_name, cells,
                              attendance_rate(cells)))
    per_session = {s.id: rate_figures([marks.get((s.id, st)) for st in students])
                   for s in recent}
    sessions = [MatrixSession(s.id, s.starts_at.astimezone(zone), per_session[s.id].rate,
                              per_session[s.id]) for s in recent]
    overall = rate_figures([cell for row in rows for cell in row.cells])
    return CourseMatrix(sessions, rows, overall.rate, overall)


def rate_series(matrix: CourseMatrix) -> list[tuple[datetime, float]]:
    """(local session start, rate) for each session of ``matrix`` that has a rate."""
    return [(s.starts_at, s.rate) for s in matrix.sessions if s.rate is not None]
