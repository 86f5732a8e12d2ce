"""Changing and removing a camera: credentials kept when the source is left alone, courses
detached only when asked, every change audited, admins only."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import AuditLog, Camera, CameraTeacher, Course, Sighting, User
from attendance.errors import ConfigError, Conflict, InvalidInput, NotFound, PermissionDenied
from attendance.services.camera_changes import (
    CameraInUse,
    courses_filmed_by,
    remove_camera,
    update_camera,
)
from attendance.services.cameras import camera_source, create_camera

from .factories import add_course_with_session

SOURCE = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream?pwd=S3cret"
SHOWN = "rtsp://cam.local:554/stream?pwd=***"


@pytest.fixture
def cipher(settings: Settings) -> TemplateCipher:
    return TemplateCipher.from_settings(settings)


def _audit(session: Session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_renaming_keeps_the_encrypted_source(db_session: Session,
                                             cipher: TemplateCipher) -> None:
    camera = create_camera(db_session, name="room-1", source=SOURCE, cipher=cipher)
    # The edit form shows the redacted source; sent back unchanged (or empty) it is kept.
    for source in (SHOWN, "", None):
        changed = update_camera(db_session, camera.id, name="room-101", source=source,
                                actor="admin")
        assert changed == (["name"] if source == SHOWN else [])
    assert camera.name == "room-101"
    assert camera_source(camera, cipher) == SOURCE
    (entry,) = _audit(db_session, "camera.update")
    assert entry.details == {"name": {"from": "room-1", "to": "room-101"}}


def test_a_new_source_is_sealed_or_stored_plain(db_session: Session,
                                               cipher: TemplateCipher, tmp_path: Path) -> None:
    camera = create_camera(db_session, name="room-1", source="0")
    with pytest.raises(ConfigError, match="template key is needed"):
        update_camera(db_session, camera.id, source=SOURCE, actor="admin")
    assert update_camera(db_session, camera.id, source=SOURCE, cipher=cipher,
                         actor="admin") == ["source"]
    assert (camera.source, camera_source(camera, cipher)) == (SHOWN, SOURCE)
    # Only the password changes: the shown form stays, the change is still made and noted.
    other = SOURCE.replace("S3cret", "N3w")
    assert update_camera(db_session, camera.id, source=other, cipher=cipher,
                         actor="admin") == ["source"]
    assert camera_source(camera, cipher) == other
    video = str(tmp_path / "lesson.mp4")
    update_camera(db_session, camera.id, source=video, actor="admin")
    assert (camera.source, camera.source_secret, camera.source_key_id) == (video, None, None)
    details = str([e.details for e in _audit(db_session, "camera.update")])
    assert "S3cret" not in details
    assert "N3w" not in details
    assert "ssW0rd" not in details


def test_bad_edits_are_refused(db_session: Session) -> None:
    camera = create_camera(db_session, name="room-1", source="0")
    create_camera(db_session, name="room-2", source="1")
    with pytest.raises(Conflict, match="already exists"):
        update_camera(db_session, camera.id, name="room-2", actor="admin")
    with pytest.raises(InvalidInput, match="1 to 100 characters"):
        update_camera(db_session, camera.id, name=" ", actor="admin")
    with pytest.raises(InvalidInput, match="is not supported"):
        update_camera(db_session, camera.id, source="ftp://cam/x", actor="admin")
    with pytest.raises(NotFound):
        update_camera(db_session, 999_999, name="x", actor="admin")


def test_a_camera_filming_courses_is_removed_only_when_detached(db_session: Session) -> None:
    camera = create_camera(db_session, name="room-1", source="0")
    course, class_session, _ = add_course_with_session(db_session)
    course.camera_id = camera.id
    teacher = User(username="tina", role="teacher", password_hash="x")
    db_session.add(teacher)
    db_session.flush()
    db_session.add(CameraTeacher(camera_id=camera.id, user_id=teacher.id))
    db_session.add(Sighting(class_session_id=class_session.id, camera_id=camera.id,
                            seen_at=class_session.starts_at, box_top=0, box_right=1,
                            box_bottom=1, box_left=0))
    db_session.flush()
    with pytest.raises(CameraInUse, match="films 1 course\\(s\\): CS101. Detach it") as info:
        remove_camera(db_session, camera.id, actor="admin")
    assert info.value.course_codes == ("CS101",)
    assert db_session.get(Camera, camera.id) is not None
    done = remove_camera(db_session, camera.id, detach=True, actor="admin")
    assert (done.name, done.detached) == ("room-1", ("CS101",))
    db_session.expire_all()
    assert db_session.get(Camera, camera.id) is None
    assert db_session.get(Course, course.id).camera_id is None  # type: ignore[union-attr]
    assert db_session.scalars(select(CameraTeacher)).all() == []
    assert db_session.scalars(select(Sighting.camera_id)).all() == [None]  # kept, unnamed
    assert courses_filmed_by(db_session, camera.id) == []
    (entry,) = _audit(db_session, "camera.delete")
    assert entry.details == {"name": "room-1", "detached_from": ["CS101"]}


def test_teachers_may_not_change_or_remove_cameras(db_session: Session) -> None:
    camera = create_camera(db_session, name="room-1", source="0")
    teacher = User(username="tina", role="teacher", password_hash="x")
    db_session.add(teacher)
    db_session.flush()
    by = Actor(teacher.id)
    with pytest.raises(PermissionDenied):
        update_camera(db_session, camera.id, name="mine", actor="tina", by=by)
    with pytest.raises(PermissionDenied):
        remove_camera(db_session, camera.id, actor="tina", by=by)
