"""Changing and removing a camera (admins; the operator at the shell), each audited.

A source holding credentials is stored encrypted (``attendance.services.cameras``) and is only
ever shown redacted, so an edit form cannot show it back: an empty source, or the redacted
form itself sent back unchanged, keeps the stored source as it is, credentials included.

A camera that films courses is removed only when the caller says to detach it from them
(``detach=True``); otherwise :class:`CameraInUse` names the courses. The courses keep their
sessions and records and simply have no camera afterwards; sightings keep their data, without
the camera. A running worker notices the change at its next refresh and starts again with it
(``attendance.worker``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..camera_sources import has_secrets, redact_source
from ..crypto import TemplateCipher
from ..db import Camera, Course
from ..errors import ConfigError, Conflict, InvalidInput, NotFound
from .audit import record_audit
from .cameras import seal_source, validate_source


class CameraInUse(Conflict):
    """The camera films courses; removing it needs ``detach`` (the message names them)."""

    def __init__(self, message: str, course_codes: tuple[str, ...], /, **params: Any) -> None:
        super().__init__(message, **params)
        self.course_codes = course_codes


@dataclass(frozen=True)
class CameraRemoval:
    """What :func:`remove_camera` did: the camera's name and the courses it was taken off."""

    name: str
    detached: tuple[str, ...]


def courses_filmed_by(session: Session, camera_id: int) -> list[Course]:
    """The courses whose camera is ``camera_id``, by code."""
    return list(session.scalars(select(Course).where(Course.camera_id == camera_id)
                                .order_by(Course.code)))


def update_camera(
    session: Session, camera_id: int, *, name: str | None = None, source: str | None = None,
    cipher: TemplateCipher | None = None, actor: str, user_id: int | None = None,
    by: Principal | None = None,
) -> list[str]:
    """Rename camera ``camera_id`` and/or give it a new source; returns what changed
    (``"name"``, ``"source"``), empty when nothing did. ``name`` None keeps the name;
    ``source`` None, empty or the redacted form shown keeps the source (module docstring).
    A new source with credentials needs ``cipher``. Audited as ``camera.update`` (names,
    and sources only redacted)."""
    camera = _camera(session, camera_id, by)
    changed: dict[str, dict[str, str]] = {}
    if name is not None and name.strip() != camera.name:
        new_name = name.strip()
        if not new_name or len(new_name) > 100:
            raise InvalidInput("camera name must be 1 to 100 characters long")
        taken = session.scalar(select(Camera.id).where(Camera.name == new_name,
                                                       Camera.id != camera.id))
        if taken is not None:
            raise Conflict("a camera named %(new_name)r already exists; choose another name",
                           new_name=new_name)
        changed["name"] = {"from": camera.name, "to": new_name}
        camera.name = new_name
    if source is not None and source.strip() and source.strip() != camera.source:
        new_source = validate_source(source)
        if has_secrets(new_source) and cipher is None:
            raise ConfigError("a camera source with credentials is stored encrypted: the "
                              "template key is needed (pass the TemplateCipher)")
        old_shown = camera.source
        if cipher is not None:
            seal_source(camera, new_source, cipher)
        else:  # no credentials in it: stored in plain form
            camera.source, camera.source_secret, camera.source_key_id = new_source, None, None
        if camera.source != old_shown or has_secrets(new_source):
            changed["source"] = {"from": old_shown, "to": redact_source(new_source)}
    if changed:
        session.flush()
        record_audit(session, actor=actor, action="camera.update", target_type="camera",
                     target_id=camera.id, user_id=user_id, details=changed)
    return list(changed)


def remove_camera(
    session: Session, camera_id: int, *, detach: bool = False, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> CameraRemoval:
    """Delete camera ``camera_id`` (its worker token and teacher offers go with it).

    A camera filming courses raises :class:`CameraInUse` unless ``detach``; with it, those
    courses lose their camera in the same transaction. Audited as ``camera.delete`` with the
    courses it was taken off."""
    camera = _camera(session, camera_id, by)
    courses = courses_filmed_by(session, camera.id)
    codes = tuple(c.code for c in courses)
    if codes and not detach:
        raise CameraInUse(
            "Camera %(name)s films %(count)s course(s): %(codes)s. Detach it from them to "
            "remove it, or cancel.", codes,
            name=camera.name, count=len(codes), codes=', '.join(codes))
    for course in courses:
        course.camera_id = None
    name = camera.name
    session.flush()
    session.expunge(camera)
    session.execute(delete(Camera).where(Camera.id == camera_id))
    record_audit(session, actor=actor, action="camera.delete", target_type="camera",
                 target_id=camera_id, user_id=user_id,
                 details={"name": name, "detached_from": list(codes)})
    session.flush()
    return CameraRemoval(name, codes)


def _camera(session: Session, camera_id: int, by: Principal | None) -> Camera:
    access.require(session, by, Action.MANAGE_CAMERAS)
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFound(access.not_found(access.Subject.CAMERA))
    return camera


__all__ = ["CameraInUse", "CameraRemoval", "courses_filmed_by", "remove_camera",
           "update_camera"]
