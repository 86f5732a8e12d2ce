"""Cameras: a name and a source the classroom worker opens (device, file or stream URL)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Camera
from ..errors import Conflict, InvalidInput, NotFound

#: Schemes a network camera source may use; anything else is a device index or a file path.
CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https")


def create_camera(session: Session, *, name: str, source: str) -> Camera:
    """Register a camera. ``source`` is a device index (``"0"``), a video file path, or an
    ``rtsp://``/``rtsps://``/``http(s)://`` URL; it is opened by the worker, not here."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("camera name must be 1 to 100 characters long")
    source = _validate_source(source)
    if session.scalar(select(Camera.id).where(Camera.name == name)) is not None:
        raise Conflict(f"a camera named {name!r} already exists; choose another name")
    camera = Camera(name=name, source=source)
    session.add(camera)
    session.flush()
    return camera


def get_camera(session: Session, name: str) -> Camera:
    """The camera called ``name``, or :class:`NotFound`."""
    camera = session.scalar(select(Camera).where(Camera.name == name))
    if camera is None:
        raise NotFound(f"no camera named {name!r}; add it first with 'attendance camera add'")
    return camera


def list_cameras(session: Session) -> list[Camera]:
    """Every camera, by name."""
    return list(session.scalars(select(Camera).order_by(Camera.name)))


def _validate_source(source: str) -> str:
    source = source.strip()
    if not source or len(source) > 1000 or any(ord(c) < 32 for c in source):
        raise InvalidInput(
            "camera source must be a device index such as 0, a video file path, or an "
            "rtsp:// or http(s):// URL (at most 1000 characters)"
        )
    scheme, sep, rest = source.partition("://")
    if sep and (scheme.lower() not in CAMERA_SCHEMES or not rest):
        raise InvalidInput(
            f"camera URL {source!r} is not supported; use {', '.join(CAMERA_SCHEMES)} URLs, "
            "a device index or a file path"
        )
    return source
