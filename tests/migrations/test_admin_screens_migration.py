"""Revision e28e49b8fbb3: accounts get ``must_change_password`` (false for existing ones),
and on SQLite a removed camera's id is never given to a new camera."""

from __future__ import annotations

from sqlalchemy import text

from attendance import migrate
from tests.migrations.conftest import EmptyDatabase

BEFORE = "583d7a93edd8"
REVISION = "e28e49b8fbb3"


def test_existing_accounts_keep_their_password_and_camera_ids_are_never_reused(
    empty_database: EmptyDatabase,
) -> None:
    url, engine = empty_database.url, empty_database.engine
    migrate.upgrade(url, BEFORE)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, username, password_hash, role, active, created_at) "
            "VALUES (1, 'boss', 'x', 'admin', true, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO cameras (id, name, source, frames_processed, faces_seen) "
            "VALUES (1, 'a', '0', 0, 0), (2, 'b', '1', 0, 0)"))
        conn.execute(text(
            "INSERT INTO courses (id, code, name, timezone, late_after_minutes, created_at, "
            "face_recognition_enabled, camera_id) "
            "VALUES (1, 'C', 'Course', 'UTC', 5, CURRENT_TIMESTAMP, true, 2)"))
        if empty_database.kind == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cameras', 'id'), 2)"))
    migrate.upgrade(url, REVISION)
    with engine.begin() as conn:
        assert conn.execute(text(
            "SELECT must_change_password FROM users")).scalar_one() in (False, 0)
        assert conn.execute(text("SELECT camera_id FROM courses")).scalar_one() == 2
        conn.execute(text("UPDATE courses SET camera_id = NULL"))
        conn.execute(text("DELETE FROM cameras WHERE id = 2"))
        conn.execute(text("INSERT INTO cameras (name, source, frames_processed, "
                          "faces_seen) VALUES ('c', '2', 0, 0)"))
        new_id = conn.execute(text("SELECT id FROM cameras WHERE name = 'c'")).scalar_one()
    assert new_id == 3
    if empty_database.kind == "sqlite":
        with engine.connect() as conn:
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'cameras'"
                                    )).scalar_one()
        assert "AUTOINCREMENT" in sql
        assert "uq_cameras_name" in sql
    migrate.downgrade(url, BEFORE)
    assert migrate.current_revision(engine) == BEFORE
