"""Revision 583d7a93edd8: encrypted camera sources, and ids never reused on SQLite.

On SQLite the migration rebuilds five tables (copy, drop, rename). It must keep every row of
every child table (a drop with foreign keys enforced would cascade), every named constraint
and index, and afterwards hand out ids that were never used before.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select, table, text

from attendance import migrate
from tests.migrations.conftest import EmptyDatabase

BEFORE = "0b3e534a7ff1"
REVISION = "583d7a93edd8"
REBUILT = ("students", "face_photos", "consents", "attendance_records", "sightings")


def _seed(engine: Engine) -> None:
    """One student with a photo, an embedding, a consent, a session record and a sighting."""
    statements = [
        "INSERT INTO students (id, student_number, display_name, active, created_at) "
        "VALUES (1, 'S1', 'Ada', true, CURRENT_TIMESTAMP), "
        "(2, 'S2', 'Alan', true, CURRENT_TIMESTAMP)",
        "INSERT INTO face_photos (id, student_id, content_hash, width, height, face_pixels, "
        "sharpness, brightness, created_at) VALUES (1, 2, 'h', 1, 1, 1, 1.0, 1.0, "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO face_embeddings (id, student_id, photo_id, model_name, model_version, "
        "dimension, vector, created_at) VALUES (1, 2, 1, 'dlib', 'v', 1, :blob, "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO consents (id, student_id, given_by, relation, notice_version, given_at, "
        "recorded_by, all_courses) VALUES (1, 2, 'Alan', 'student', '1', CURRENT_TIMESTAMP, "
        "'test', true)",
        "INSERT INTO courses (id, code, name, timezone, late_after_minutes, created_at, "
        "face_recognition_enabled) VALUES (1, 'C', 'Course', 'UTC', 5, CURRENT_TIMESTAMP, true)",
        "INSERT INTO enrollments (course_id, student_id, added_at) "
        "VALUES (1, 2, CURRENT_TIMESTAMP)",
        "INSERT INTO class_sessions (id, course_id, starts_at, ends_at, created_at) "
        "VALUES (1, 1, '2026-03-02 09:00:00', '2026-03-02 10:00:00', CURRENT_TIMESTAMP)",
        "INSERT INTO attendance_records (id, class_session_id, student_id, status, source, "
        "sightings_count, updated_at) VALUES (1, 1, 2, 'present', 'auto', 2, "
        "CURRENT_TIMESTAMP)",
        "INSERT INTO sightings (id, class_session_id, seen_at, student_id, evidence, box_top, "
        "box_right, box_bottom, box_left) VALUES (1, 1, CURRENT_TIMESTAMP, 2, '{}', 0, 1, 1, 0)",
        # Student 2 is the highest id; deleting it used to free id 2 for the next student.
    ]
    with engine.begin() as conn:
        for sql in statements:
            conn.execute(text(sql), {"blob": b"\x00" * 4} if ":blob" in sql else {})
        if engine.dialect.name == "postgresql":  # ids were given: move the sequence on
            conn.execute(text("SELECT setval(pg_get_serial_sequence('students', 'id'), 2)"))


def _counts(engine: Engine) -> dict[str, int]:
    tables = (*REBUILT, "face_embeddings", "enrollments")
    with engine.connect() as conn:
        return {t: int(conn.execute(select(func.count()).select_from(table(t))).scalar_one())
                for t in tables}


def test_upgrade_keeps_every_row_and_never_reuses_ids(
    empty_database: EmptyDatabase,
) -> None:
    url, engine = empty_database.url, empty_database.engine
    migrate.upgrade(url, BEFORE)
    _seed(engine)
    before = _counts(engine)
    migrate.upgrade(url)
    assert migrate.current_revision(engine) == migrate.head_revision(url)
    assert _counts(engine) == before  # nothing cascaded away in the rebuild
    if empty_database.kind == "sqlite":
        with engine.connect() as conn:
            schema = {name: sql for name, sql in conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))}
        for table in REBUILT:
            assert "AUTOINCREMENT" in schema[table], table
        assert "ck_attendance_records_status_valid" in schema["attendance_records"]
        assert "uq_students_student_number" in schema["students"]
        assert "REFERENCES students" in schema["face_embeddings"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM students WHERE id = 2"))  # cascades to its rows
        conn.execute(text(
            "INSERT INTO students (student_number, display_name, active, created_at) "
            "VALUES ('S3', 'Grace', true, CURRENT_TIMESTAMP)"))
        new_id = conn.execute(text(
            "SELECT id FROM students WHERE student_number = 'S3'")).scalar_one()
    assert new_id == 3
    migrate.downgrade(url, BEFORE)  # and back, keeping the rows
    assert migrate.current_revision(engine) == BEFORE
