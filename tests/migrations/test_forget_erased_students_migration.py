"""Revision 5f0c2d9b7e14: sightings' evidence no longer names students who were erased
(as a model's ``candidate`` or the fused ``runner_up``); everything else stays as it was."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from attendance import migrate
from tests.migrations.conftest import EmptyDatabase

BEFORE = "79a1987f7d72"
REVISION = "5f0c2d9b7e14"

ERASED = 2  # a student id no row holds any more
NAMING_THE_ERASED = {
    "dlib": {"candidate": ERASED, "accepted": True, "distance": 0.41},
    "fused": {"candidate": 1, "accepted": True, "runner_up": ERASED, "margin": 0.4},
}
UNTOUCHED: list[dict[str, Any]] = [
    {"dlib": {"candidate": 1, "accepted": True}, "fused": {"candidate": 1, "runner_up": 3}},
    {},
    {"fused": {"candidate": None, "runner_up": True}, "note": "not a model entry"},
]


def test_erased_students_are_forgotten_and_nothing_else_changes(
    empty_database: EmptyDatabase,
) -> None:
    url, engine = empty_database.url, empty_database.engine
    migrate.upgrade(url, BEFORE)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO students (id, student_number, display_name, active, created_at) "
            "VALUES (1, 'S1', 'Ada', true, CURRENT_TIMESTAMP), "
            "(3, 'S3', 'Grace', true, CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO courses (id, code, name, timezone, late_after_minutes, created_at, "
            "face_recognition_enabled) "
            "VALUES (1, 'C', 'Course', 'UTC', 5, CURRENT_TIMESTAMP, true)"))
        conn.execute(text(
            "INSERT INTO class_sessions (id, course_id, starts_at, ends_at, created_at) "
            "VALUES (1, 1, :starts, :ends, CURRENT_TIMESTAMP)"),
            {"starts": datetime(2026, 12, 7, 9, tzinfo=UTC),
             "ends": datetime(2026, 12, 7, 10, tzinfo=UTC)})
        for number, evidence in enumerate([NAMING_THE_ERASED, *UNTOUCHED], start=1):
            conn.execute(text(
                "INSERT INTO sightings (id, class_session_id, seen_at, student_id, evidence, "
                "box_top, box_right, box_bottom, box_left) "
                "VALUES (:id, 1, CURRENT_TIMESTAMP, 1, :evidence, 0, 10, 10, 0)"),
                {"id": number, "evidence": json.dumps(evidence)})
    migrate.upgrade(url, REVISION)
    with engine.connect() as conn:
        stored = [
            json.loads(value) if isinstance(value, str) else value
            for value in conn.execute(text("SELECT evidence FROM sightings ORDER BY id"
                                           )).scalars()
        ]
    assert stored[0] == {
        "dlib": {"candidate": None, "accepted": False, "distance": 0.41},
        "fused": {"candidate": 1, "accepted": True, "runner_up": None, "margin": 0.4},
    }
    assert stored[1:] == UNTOUCHED
    migrate.downgrade(url, BEFORE)
    assert migrate.current_revision(engine) == BEFORE
