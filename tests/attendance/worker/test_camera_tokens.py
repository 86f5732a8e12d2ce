"""One token per camera worker, and a worker writes only for its own camera's sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import Camera, Sighting, Student
from attendance.errors import PermissionDenied
from attendance.services.cameras import create_camera, verify_camera_token
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.worker import CameraWorker
from attendance.worker.frames import OpenCvFrameSource
from attendance.worker.spool import PendingSighting, SightingSpool, new_dedupe_key
from tests.attendance.cli_helpers import make_cli
from tests.webui.conftest import FakeEmbedder

START = datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_token_is_printed_once_stored_hashed_and_replaced(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    assert cli("camera", "add", "room-1", "0").exit_code == 0
    first = cli("camera", "token", "room-1")
    assert first.exit_code == 0, first.output
    token = first.output.splitlines()[0].strip()
    assert len(token) >= 40
    with cli.session() as session:
        stored = session.scalars(select(Camera.token_hash)).one()
        assert stored is not None
        assert token not in stored
        assert verify_camera_token(session, "room-1", token).name == "room-1"
    second = cli("camera", "token", "room-1").output.splitlines()[0].strip()
    with cli.session() as session:
        with pytest.raises(PermissionDenied):
            verify_camera_token(session, "room-1", token)  # the old one is revoked
        assert verify_camera_token(session, "room-1", second).name == "room-1"


def test_worker_refuses_to_start_without_the_right_token(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    cli("camera", "add", "room-1", "0")
    cli("camera", "add", "room-2", "1")
    no_token_yet = cli("worker", "--camera", "room-1")
    assert no_token_yet.exit_code == 1
    assert "worker token for camera 'room-1' is missing or wrong" in no_token_yet.output
    other = cli("camera", "token", "room-2").output.splitlines()[0].strip()
    cli("camera", "token", "room-1")
    token_file = tmp_path / "token"
    token_file.write_text(other + "\n")  # room-2's token does not open room-1
    wrong = cli("worker", "--camera", "room-1", "--token-file", str(token_file))
    assert wrong.exit_code == 1
    assert "missing or wrong" in wrong.output


def _two_rooms(factory: sessionmaker[Session]) -> tuple[int, int, int, int, int]:
    """(camera A, camera B, session filmed by A, session filmed by B, a student on both)."""
    with factory.begin() as session:
        cam_a = create_camera(session, name="room-a", source="0")
        cam_b = create_camera(session, name="room-b", source="1")
        course_a = create_course(session, code="A1", name="A", timezone="UTC",
                                 camera_name="room-a")
        course_b = create_course(session, code="B1", name="B", timezone="UTC",
                                 camera_name="room-b")
        student = Student(student_number="S1", display_name="Sam")
        session.add(student)
        session.flush()
        for course in (course_a, course_b):
            add_to_roster(session, course.id, student_ids=[student.id])
        end = START + timedelta(hours=1)
        sa = create_adhoc_session(session, course_id=course_a.id, starts_at=START, ends_at=end)
        sb = create_adhoc_session(session, course_id=course_b.id, starts_at=START, ends_at=end)
        return cam_a.id, cam_b.id, sa.id, sb.id, student.id


def test_spool_writes_only_for_the_workers_own_camera(
    session_factory: sessionmaker[Session],
) -> None:
    cam_a, _cam_b, mine, theirs, student = _two_rooms(session_factory)
    spool = SightingSpool(10)
    for class_session in (mine, theirs, mine):
        spool.add(PendingSighting(
            class_session_id=class_session, student_id=student, seen_at=START,
            box=(10, 60, 60, 10), evidence={}, camera_id=cam_a, dedupe_key=new_dedupe_key()))
    result = spool.flush(session_factory, min_sightings=2)
    assert (result.written, result.dropped, result.pending) == (2, 1, 0)
    with session_factory() as session:
        rows = session.execute(
            select(Sighting.class_session_id, func.count()).group_by(Sighting.class_session_id)
        ).all()
        counts = {class_session: count for class_session, count in rows}
    assert counts == {mine: 2}


def test_worker_refuses_to_finalize_another_cameras_session(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _cam_a, _cam_b, mine, theirs, _student = _two_rooms(session_factory)
    worker = CameraWorker.for_camera(settings, session_factory, "room-a",
                                     embedders=[FakeEmbedder()],
                                     frame_source_factory=lambda: OpenCvFrameSource("0"))
    with pytest.raises(PermissionDenied, match="another camera films it"):
        worker.finalize(theirs)
    # Its own session is finalised (no frames were captured: flagged incomplete, no absences).
    assert worker.finalize(mine) == 0
