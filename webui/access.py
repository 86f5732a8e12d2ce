"""The dashboard's side of the access policy (``attendance.access``): thin helpers that
load what a view needs or answer 404 / 403, and ``may`` for templates.

The decisions are all in ``attendance.access``; nothing here decides. Anything a user may
not even see answers 404, exactly like something that does not exist, so URLs reveal
nothing about other teachers' courses, sessions or students.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, abort
from sqlalchemy.orm import Session

from attendance import access
from attendance.access import Action, Target
from attendance.db import Camera, ClassSession, Course, Student
from attendance.errors import NotFound, PermissionDenied

from .auth.identity import Identity, current_identity
from .db import get_read_session

_T = TypeVar("_T", Course, ClassSession, Student, Camera)


def course_or_404(session: Session, identity: Identity, course_id: int,
                  action: Action = Action.VIEW_COURSE) -> Course:
    """The course, when ``identity`` may do ``action`` to it; else 404 (not visible) or 403."""
    return _load(access.load_course, session, identity, action, course_id)


def class_session_or_404(session: Session, identity: Identity, session_id: int,
                         action: Action = Action.VIEW_SESSION) -> ClassSession:
    """The class session, when ``identity`` may do ``action`` to it; else 404 or 403."""
    return _load(access.load_class_session, session, identity, action, session_id)


def student_or_404(session: Session, identity: Identity, student_id: int,
                   action: Action = Action.VIEW_STUDENT) -> Student:
    """The student, when ``identity`` may do ``action`` to them; else 404 or 403."""
    return _load(access.load_student, session, identity, action, student_id)


def camera_or_404(session: Session, identity: Identity, camera_id: int,
                  action: Action = Action.VIEW_CAMERA) -> Camera:
    """The camera, when ``identity`` may do ``action`` to it; else 404 or 403."""
    return _load(access.load_camera, session, identity, action, camera_id)


def allowed_or_403(identity: Identity, action: Action) -> Identity:
    """``identity`` when it may do the global ``action``, else 403."""
    if not access.may(get_read_session(), identity, action):
        abort(403)
    return identity


def init_app(app: Flask) -> None:
    """Templates ask ``may('action_name', target)`` to decide what to offer."""

    def may(action: str, target: Target = None) -> bool:
        return access.may(get_read_session(), current_identity(), Action(action), target)

    app.jinja_env.globals["may"] = may


def _load(loader: Callable[[Session, Identity, Action, int], _T], session: Session,
          identity: Identity, action: Action, key: int) -> _T:
    try:
        return loader(session, identity, action, key)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
