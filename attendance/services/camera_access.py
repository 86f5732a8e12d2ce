"""Which cameras each teacher may attach to their courses: an admin's decision, audited.

A teacher chooses a course's camera only among those made available to them here
(``attendance.access``: USE_CAMERA); admins place any camera.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Camera, CameraTeacher, Role, User
from ..errors import InvalidInput, NotFound
from .audit import record_audit


def make_camera_available(
    session: Session, camera_id: int, teacher_id: int, *, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> bool:
    """Let teacher ``teacher_id`` attach camera ``camera_id`` to their courses; False when
    they already could. Audited as ``camera.make_available``. ``by`` must be an admin."""
    camera, teacher = _camera_and_teacher(session, camera_id, teacher_id, by)
    if session.get(CameraTeacher, (camera.id, teacher.id)) is not None:
        return False
    session.add(CameraTeacher(camera_id=camera.id, user_id=teacher.id))
    record_audit(session, actor=actor, action="camera.make_available", target_type="camera",
                 target_id=camera.id, user_id=user_id,
                 details={"camera": camera.name, "teacher": teacher.username})
    session.flush()
    return True


def withdraw_camera(
    session: Session, camera_id: int, teacher_id: int, *, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> bool:
    """Take camera ``camera_id`` off teacher ``teacher_id``'s choices; False when it was not
    on them. Courses that already use it keep it until changed. Audited as
    ``camera.withdraw``. ``by`` must be an admin."""
    camera, teacher = _camera_and_teacher(session, camera_id, teacher_id, by)
    result = session.execute(
        delete(CameraTeacher)
        .where(CameraTeacher.camera_id == camera.id, CameraTeacher.user_id == teacher.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    record_audit(session, actor=actor, action="camera.withdraw", target_type="camera",
                 target_id=camera.id, user_id=user_id,
                 details={"camera": camera.name, "teacher": teacher.username})
    session.flush()
    return True


def camera_teachers(session: Session) -> dict[int, list[User]]:
    """Camera id -> the teachers it is available to, by username."""
    rows = session.execute(
        select(CameraTeacher.camera_id, User)
        .join(User, User.id == CameraTeacher.user_id)
        .order_by(User.username)
    ).tuples()
    found: dict[int, list[User]] = {}
    for camera_id, user in rows:
        found.setdefault(camera_id, []).append(user)
    return found


def _camera_and_teacher(
    session: Session, camera_id: int, teacher_id: int, by: Principal | None
) -> tuple[Camera, User]:
    access.require(session, by, Action.MANAGE_CAMERAS)
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFound("no camera with id %(camera_id)s", camera_id=camera_id)
    teacher = session.get(User, teacher_id)
    if teacher is None:
        raise NotFound("no user with id %(teacher_id)s", teacher_id=teacher_id)
    if teacher.role != Role.TEACHER.value:
        raise InvalidInput("%(username)s is not a teacher; admins use every camera",
                           username=teacher.username)
    return camera, teacher


__all__ = ["camera_teachers", "make_camera_available", "withdraw_camera"]
