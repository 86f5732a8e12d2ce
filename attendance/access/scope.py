"""What a principal may list: the queries behind every "my courses / my students / my
cameras" page, built from the same relations as the per-object checks in ``guard``.

``None`` as a scope means "everything" (an admin); a list is the exact set allowed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, Camera, CameraTeacher, ClassSession, Course, Enrollment, Student
from .relations import own_course_ids, rostered_student_ids
from .rules import Principal


def visible_courses(session: Session, principal: Principal) -> list[Course]:
    """The courses ``principal`` may see (VIEW_COURSE), by code."""
    query = select(Course).order_by(Course.code)
    if not principal.is_admin:
        query = query.where(Course.id.in_(own_course_ids(principal)))
    return list(session.scalars(query))


def course_scope(session: Session, principal: Principal) -> list[int] | None:
    """The ids of the courses ``principal`` may see; None: every course (an admin)."""
    if principal.is_admin:
        return None
    return list(session.scalars(own_course_ids(principal)))


def listed_students(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition on ``Student``: the student is in ``principal``'s students list
    (LIST_STUDENT: on one of their rosters); None: no condition (an admin)."""
    if principal.is_admin:
        return None
    return Student.id.in_(rostered_student_ids(principal))


def viewable_students(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition on ``Student``: ``principal`` may see the student (VIEW_STUDENT: on one
    of their rosters, or marked in one of their sessions); None: no condition (an admin)."""
    if principal.is_admin:
        return None
    marked = (select(AttendanceRecord.student_id)
              .join(ClassSession, ClassSession.id == AttendanceRecord.class_session_id)
              .where(ClassSession.course_id.in_(own_course_ids(principal))))
    return or_(Student.id.in_(rostered_student_ids(principal)), Student.id.in_(marked))


def student_course_scope(
    session: Session, principal: Principal, student_id: int
) -> list[int] | None:
    """The courses whose data about the student ``principal`` may see: None (all) for an
    admin; for a teacher their courses where the student is on the roster or has a mark."""
    if principal.is_admin:
        return None
    mine = own_course_ids(principal)
    rostered = select(Enrollment.course_id).where(
        Enrollment.student_id == student_id, Enrollment.course_id.in_(mine))
    recorded = (select(ClassSession.course_id)
                .join(AttendanceRecord, AttendanceRecord.class_session_id == ClassSession.id)
                .where(AttendanceRecord.student_id == student_id,
                       ClassSession.course_id.in_(mine)))
    return sorted(set(session.scalars(rostered)) | set(session.scalars(recorded)))


def visible_cameras(session: Session, principal: Principal) -> list[Camera]:
    """The cameras ``principal`` may see (VIEW_CAMERA), by name."""
    query = select(Camera).order_by(Camera.name)
    if not principal.is_admin:
        query = query.where(or_(
            Camera.id.in_(_available_camera_ids(principal)),
            Camera.id.in_(select(Course.camera_id).where(
                Course.id.in_(own_course_ids(principal)))),
        ))
    return list(session.scalars(query))


def usable_cameras(session: Session, principal: Principal) -> list[Camera]:
    """The cameras ``principal`` may attach to a course (USE_CAMERA), by name."""
    query = select(Camera).order_by(Camera.name)
    if not principal.is_admin:
        query = query.where(Camera.id.in_(_available_camera_ids(principal)))
    return list(session.scalars(query))


def _available_camera_ids(principal: Principal) -> Select[tuple[int]]:
    return select(CameraTeacher.camera_id).where(CameraTeacher.user_id == principal.id)
