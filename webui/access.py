"""Role scoping, enforced on the server: an admin sees every course, a teacher only their own.

Anything outside a user's scope is answered with 404, exactly like something that does not
exist, so URLs reveal nothing about other teachers' courses.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.db import AttendanceRecord, ClassSession, Course, Enrollment, Student

from .auth.identity import Identity


def visible_courses(session: Session, identity: Identity) -> list[Course]:
    """The courses ``identity`` may see, by code."""
    query = select(Course).order_by(Course.code)
    if not identity.is_admin:
        query = query.where(Course.teacher_id == identity.id)
    return list(session.scalars(query))


def can_see(identity: Identity, course: Course) -> bool:
    return identity.is_admin or course.teacher_id == identity.id


def course_or_404(session: Session, identity: Identity, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None or not can_see(identity, course):
        abort(404)
    return course


def class_session_or_404(session: Session, identity: Identity, session_id: int) -> ClassSession:
    class_session = session.get(ClassSession, session_id)
    if class_session is None or not can_see(identity, class_session.course):
        abort(404)
    return class_session


def student_scope_or_404(session: Session, identity: Identity, student_id: int) -> list[int] | None:
    """The course ids whose data about the student ``identity`` may see: None (all) for an
    admin; for a teacher their courses where the student is on the roster or has a record.
    404 when the student does not exist or a teacher has no such course."""
    if session.get(Student, student_id) is None:
        abort(404)
    if identity.is_admin:
        return None
    mine = select(Course.id).where(Course.teacher_id == identity.id)
    rostered = select(Enrollment.course_id).where(
        Enrollment.student_id == student_id, Enrollment.course_id.in_(mine))
    recorded = (select(ClassSession.course_id)
                .join(AttendanceRecord, AttendanceRecord.class_session_id == ClassSession.id)
                .where(AttendanceRecord.student_id == student_id,
                       ClassSession.course_id.in_(mine)))
    ids = sorted(set(session.scalars(rostered)) | set(session.scalars(recorded)))
    if not ids:
        abort(404)
    return ids
