"""Cameras: a name and a source the classroom worker opens (device, file or stream URL),
and the token each camera's worker proves itself with.

A source URL with credentials (``attendance.camera_sources``) is stored encrypted with the
template key (``Camera.source_secret``, bound to the camera's id) and only its redacted form
in ``Camera.source``; :func:`camera_source` gives the worker the full URL back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..camera_sources import has_secrets, redact_source
from ..crypto import TemplateCipher, camera_source_aad
from ..db import Camera, ClassSession, Course
from ..errors import ConfigError, Conflict, InvalidInput, NotFound, PermissionDenied

#: Bytes of randomness in a worker token (printed as 43 URL-safe characters).
TOKEN_BYTES = 32

#: Schemes a network camera source may use; anything else is a device index or a file path.
CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https")


def create_camera(
    session: Session, *, name: str, source: str, cipher: TemplateCipher | None = None
) -> Camera:
    """Register a camera. ``source`` is a device index (``"0"``), a video file path, or an
    ``rtsp://``/``rtsps://``/``http(s)://`` URL; it is opened by the worker, not here.

    A URL with credentials needs ``cipher`` (the template key): it is stored encrypted, and
    ``Camera.source`` keeps only the redacted URL (module docstring).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("camera name must be 1 to 100 characters long")
    source = validate_source(source)
    if session.scalar(select(Camera.id).where(Camera.name == name)) is not None:
        raise Conflict("a camera named %(name)r already exists; choose another name", name=name)
    if has_secrets(source) and cipher is None:
        raise ConfigError("a camera source with credentials is stored encrypted: the "
                          "template key is needed (pass the TemplateCipher)")
    camera = Camera(name=name, source=redact_source(source))
    session.add(camera)
    session.flush()  # the id binds the ciphertext to this camera
    if cipher is not None and has_secrets(source):
        seal_source(camera, source, cipher)
        session.flush()
    return camera


def seal_source(camera: Camera, source: str, cipher: TemplateCipher) -> None:
    """Store ``source`` on ``camera`` (flushed, so it has an id): encrypted under the
    current key when it holds credentials, in plain form otherwise."""
    if has_secrets(source):
        camera.source_secret = cipher.encrypt_bytes(source.encode("utf-8"),
                                                    camera_source_aad(camera.id))
        camera.source_key_id = cipher.key_id
    else:
        camera.source_secret, camera.source_key_id = None, None
    camera.source = redact_source(source)


def camera_source(camera: Camera, cipher: TemplateCipher | None) -> str:
    """The full source of ``camera`` for opening it: decrypted when it is stored encrypted
    (``TemplateDecryptionError`` when that fails; ``ConfigError`` without a cipher)."""
    if camera.source_secret is None or camera.source_key_id is None:
        return camera.source
    if cipher is None:
        raise ConfigError(f"the source of camera {camera.name!r} is encrypted; the template "
                          "key is needed to open it")
    plain = cipher.decrypt_bytes(camera.source_secret, camera.source_key_id,
                                 camera_source_aad(camera.id))
    return plain.decode("utf-8")


def camera_signature(camera: Camera) -> str:
    """A digest of what a worker reads from ``camera`` when it starts (name and source,
    encrypted part included): a running worker whose camera's signature changed, or whose
    camera is gone, starts again (``attendance.worker``)."""
    digest = hashlib.sha256()
    for part in (camera.name.encode(), camera.source.encode(), camera.source_secret or b"",
                 (camera.source_key_id or "").encode()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def get_camera(session: Session, name: str) -> Camera:
    """The camera called ``name``, or :class:`NotFound`."""
    camera = session.scalar(select(Camera).where(Camera.name == name))
    if camera is None:
        raise NotFound("no camera named %(name)r; add it first with 'attendance camera add'",
                       name=name)
    return camera


def issue_camera_token(session: Session, name: str) -> str:
    """A new worker token for camera ``name``, replacing (and so revoking) any older one.

    Only its SHA-256 is stored: the token is random and long, so a slow hash adds nothing.
    Return it to show once; it cannot be read back later.
    """
    camera = get_camera(session, name)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    camera.token_hash = _token_hash(token)
    session.flush()
    return token


def verify_camera_token(session: Session, name: str, token: str) -> Camera:
    """The camera ``name`` when ``token`` is its current worker token, else
    :class:`PermissionDenied` (also when the camera has no token yet)."""
    camera = get_camera(session, name)
    if not token or camera.token_hash is None or not hmac.compare_digest(
        camera.token_hash, _token_hash(token)
    ):
        raise PermissionDenied(
            "the worker token for camera %(name)r is missing or wrong; print a new one with "
            "'%(command)s' and give it as ATTENDANCE_WORKER_TOKEN or --token-file", name=name,
            command="attendance camera token " + name
        )
    return camera


def session_camera_id(session: Session, class_session_id: int) -> int | None:
    """The camera of the course that ``class_session_id`` belongs to (None: no camera);
    :class:`NotFound` when the session does not exist."""
    row = session.execute(
        select(ClassSession.id, Course.camera_id)
        .join(Course, Course.id == ClassSession.course_id)
        .where(ClassSession.id == class_session_id)
    ).first()
    if row is None:
        raise NotFound("no class session with id %(class_session_id)s",
                       class_session_id=class_session_id)
    camera_id: int | None = row.camera_id
    return camera_id


def list_cameras(session: Session) -> list[Camera]:
    """Every camera, by name."""
    return list(session.scalars(select(Camera).order_by(Camera.name)))


def validate_source(source: str) -> str:
    """``source`` without surrounding blanks, or :class:`InvalidInput` saying what fits."""
    source = source.strip()
    if not source or len(source) > 1000 or any(ord(c) < 32 for c in source):
        raise InvalidInput(
            "camera source must be a device index such as 0, a video file path, or an "
            "rtsp:// or http(s):// URL (at most 1000 characters)"
        )
    scheme, sep, rest = source.partition("://")
    if sep and (scheme.lower() not in CAMERA_SCHEMES or not rest):
        raise InvalidInput(
            "camera URL %(source)r is not supported; use %(schemes)s URLs, a device index or a "
            "file path", source=redact_source(source), schemes=", ".join(CAMERA_SCHEMES)
        )
    return source


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
