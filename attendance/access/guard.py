"""The checks: "may this principal do this action to that object?", and the loaders that
answer with the object or refuse.

A refusal of an object the principal may not even see is :class:`NotFound`, worded exactly
like an object that does not exist, so ids reveal nothing; a refusal of another action on a
visible object is :class:`PermissionDenied`. ``principal`` None is the operator (the command
line, the camera worker, fixtures): whoever already holds the database, never refused.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Camera, ClassSession, Course, Student
from ..errors import NotFound, PermissionDenied
from ..messages import Message
from .relations import camera_relation, course_relation, session_relation, student_relation
from .rules import TEACHER_MAY, VIEW_ACTION, WORDS, Action, Principal, Relation, Subject, permits

#: An object of any kind: what an action is done to (None for a global action).
Target = Course | ClassSession | Student | Camera | None


def relation_to(session: Session, principal: Principal, subject: Subject,
                target: Target) -> Relation:
    """How ``principal`` stands to ``target``, an object of kind ``subject``."""
    if subject is Subject.NOTHING and target is None:
        return Relation.ANYONE
    if subject is Subject.COURSE and isinstance(target, Course):
        return course_relation(principal, target)
    if subject is Subject.SESSION and isinstance(target, ClassSession):
        return session_relation(principal, target)
    if subject is Subject.STUDENT and isinstance(target, Student):
        return student_relation(session, principal, target.id)
    if subject is Subject.CAMERA and isinstance(target, Camera):
        return camera_relation(session, principal, target)
    raise TypeError(f"a {subject.value} action is not done to {target!r}")


def may(session: Session, principal: Principal | None, action: Action,
        target: Target = None) -> bool:
    """Whether ``principal`` may do ``action`` to ``target`` (None for a global action)."""
    if principal is None or principal.is_admin:
        return True
    allowed = TEACHER_MAY[action]
    if not allowed:  # admins only: no need to ask the database how the teacher stands
        return False
    return permits(principal, action, relation_to(session, principal, action.subject, target))


def require(session: Session, principal: Principal | None, action: Action,
            target: Target = None) -> None:
    """Refuse unless ``principal`` may do ``action`` to ``target``: :class:`NotFound` when
    they may not even see it, else :class:`PermissionDenied`."""
    if may(session, principal, action, target):
        return
    view = VIEW_ACTION.get(action.subject)
    if view is None or (view is not action and may(session, principal, view, target)):
        raise PermissionDenied("You may not %(action)s; ask an admin.", action=WORDS[action])
    raise NotFound(not_found(action.subject))


def not_found(subject: Subject) -> Message:
    """The one message for a missing object and for one that is not the principal's."""
    if subject is Subject.COURSE:
        return Message("No such course among those you may see.")
    if subject is Subject.SESSION:
        return Message("No such session among those you may see.")
    if subject is Subject.STUDENT:
        return Message("No such student among those you may see.")
    if subject is Subject.CAMERA:
        return Message("No such camera among those you may see.")
    return Message("No such %(subject)s among those you may see.", subject=subject.value)


def load_course(session: Session, principal: Principal | None, action: Action,
                course_id: int) -> Course:
    """Course ``course_id`` when ``principal`` may do ``action`` to it, else refused."""
    return _checked(session, principal, action, session.get(Course, course_id))


def load_class_session(session: Session, principal: Principal | None, action: Action,
                       class_session_id: int) -> ClassSession:
    """Class session ``class_session_id`` when ``principal`` may do ``action`` to it."""
    return _checked(session, principal, action, session.get(ClassSession, class_session_id))


def load_student(session: Session, principal: Principal | None, action: Action,
                 student_id: int) -> Student:
    """Student ``student_id`` when ``principal`` may do ``action`` to them."""
    return _checked(session, principal, action, session.get(Student, student_id))


def load_camera(session: Session, principal: Principal | None, action: Action,
                camera_id: int) -> Camera:
    """Camera ``camera_id`` when ``principal`` may do ``action`` to it."""
    return _checked(session, principal, action, session.get(Camera, camera_id))


def require_consent_scope(session: Session, principal: Principal | None,
                          course_ids: Collection[int] | None) -> None:
    """Refuse unless ``principal`` may record or withdraw consent for ``course_ids`` (None:
    all courses, for an admin only). An unknown course is refused like another teacher's."""
    if course_ids is None:
        require(session, principal, Action.CONSENT_FOR_ALL_COURSES)
        return
    courses = {c.id: c for c in session.scalars(
        select(Course).where(Course.id.in_(set(course_ids))))}
    for course_id in sorted(set(course_ids)):
        course = courses.get(course_id)
        if course is None:
            raise NotFound(not_found(Subject.COURSE))
        require(session, principal, Action.CONSENT_FOR_COURSE, course)


_T = TypeVar("_T", Course, ClassSession, Student, Camera)


def may_consent_for(session: Session, principal: Principal | None,
                    course_ids: Collection[int] | None) -> bool:
    """Whether ``principal`` may record or withdraw consent for ``course_ids`` (None: all)."""
    try:
        require_consent_scope(session, principal, course_ids)
    except (NotFound, PermissionDenied):
        return False
    return True


def _checked(
    session: Session, principal: Principal | None, action: Action, found: _T | None
) -> _T:
    if found is None:
        raise NotFound(not_found(action.subject))
    require(session, principal, action, found)
    return found
