"""How a teacher stands to an object, read from the database (the rules are in ``rules``).

Every function answers for one teacher and one object, with one or two small queries. An
admin's relation is never asked (:func:`attendance.access.guard.may` lets an admin do
everything before any relation is read).
"""

from __future__ import annotations

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, Camera, CameraTeacher, ClassSession, Course, Enrollment
from .rules import Principal, Relation


def course_relation(principal: Principal, course: Course) -> Relation:
    """OWN_COURSE when ``principal`` teaches ``course``, else OTHER_COURSE."""
    if course.teacher_id is not None and course.teacher_id == principal.id:
        return Relation.OWN_COURSE
    return Relation.OTHER_COURSE


def session_relation(principal: Principal, class_session: ClassSession) -> Relation:
    """A class session stands as its course does."""
    return course_relation(principal, class_session.course)


def student_relation(session: Session, principal: Principal, student_id: int) -> Relation:
    """SOLE_ROSTER, SHARED_ROSTER, FORMER or UNRELATED (see :class:`Relation`)."""
    mine = own_course_ids(principal)
    on_mine = session.scalar(select(exists().where(
        Enrollment.student_id == student_id, Enrollment.course_id.in_(mine))))
    if on_mine:
        on_other = session.scalar(select(exists().where(
            Enrollment.student_id == student_id, Enrollment.course_id.not_in(mine))))
        return Relation.SHARED_ROSTER if on_other else Relation.SOLE_ROSTER
    recorded = session.scalar(select(exists().where(
        AttendanceRecord.student_id == student_id,
        AttendanceRecord.class_session_id.in_(
            select(ClassSession.id).where(ClassSession.course_id.in_(mine))))))
    return Relation.FORMER if recorded else Relation.UNRELATED


def camera_relation(session: Session, principal: Principal, camera: Camera) -> Relation:
    """AVAILABLE, ON_OWN_COURSE or UNAVAILABLE (see :class:`Relation`)."""
    available = session.scalar(select(exists().where(
        CameraTeacher.camera_id == camera.id, CameraTeacher.user_id == principal.id)))
    if available:
        return Relation.AVAILABLE
    filming = session.scalar(select(exists().where(
        Course.camera_id == camera.id, Course.teacher_id == principal.id)))
    return Relation.ON_OWN_COURSE if filming else Relation.UNAVAILABLE


def own_course_ids(principal: Principal) -> Select[tuple[int]]:
    """The ids of the courses ``principal`` teaches, as a subquery."""
    return select(Course.id).where(Course.teacher_id == principal.id)


def rostered_student_ids(principal: Principal) -> Select[tuple[int]]:
    """The ids of the students on a roster of ``principal``'s courses, as a subquery."""
    return select(Enrollment.student_id).where(
        Enrollment.course_id.in_(own_course_ids(principal)))
