"""The APScheduler wiring with short real intervals and a stub recogniser (no models)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, Camera, ClassSession
from attendance.detection import DetectedFace
from attendance.services.courses import create_course
from attendance.services.schedule import create_adhoc_session
from attendance.worker import CameraWorker, build_scheduler
from attendance.worker.recognition import Recognizer
from models import FaceInput
from tests.conftest import make_settings

from .conftest import make_classroom

FRAME = np.full((48, 64, 3), 120, dtype=np.uint8)
VECTOR = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


class _StubEmbedder:
    name = "dlib"
    version = "stub"
    dimension = 4

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        return np.tile(VECTOR, (len(faces), 1))


class _StillCamera:
    description = "still"

    def open(self) -> None:
        pass

    def read(self) -> NDArray[np.uint8]:
        return FRAME

    def close(self) -> None:
        pass


def _one_face(_image: NDArray[np.uint8]) -> list[DetectedFace]:
    return [DetectedFace(box=(4, 40, 40, 4), landmarks=np.zeros((5, 2), np.float32))]


def _wait_for(condition: object, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_scheduler_captures_finalises_and_picks_up_new_sessions(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, capture_interval_seconds=0.3, capture_grace_minutes=0,
                             worker_refresh_seconds=1.0, min_sightings=2)
    room = make_classroom(session_factory, {"Colin_Powell": [VECTOR]}, source="still",
                          model_version="stub")
    now = datetime.now(UTC)
    with session_factory.begin() as session:  # move the fixture's session to right now
        row = session.get(ClassSession, room.class_session_id)
        assert row is not None
        row.starts_at, row.ends_at = now + timedelta(seconds=0.5), now + timedelta(seconds=2.5)
    recognizer = Recognizer([_StubEmbedder()], detector=_one_face, thresholds={"dlib": 0.5},
                            rule="both")
    worker = CameraWorker(settings, camera_id=room.camera_id, camera_name=room.camera_name,
                          session_factory=session_factory, recognizer=recognizer,
                          frame_source_factory=_StillCamera)
    scheduler = build_scheduler(settings, [worker], background=True)
    scheduler.start()
    try:
        assert _wait_for(lambda: scheduler.get_job(f"capture:{room.class_session_id}"), 5)
        capture = scheduler.get_job(f"capture:{room.class_session_id}")
        assert (capture.max_instances, capture.coalesce) == (1, True)
        assert capture.misfire_grace_time >= 1
        # A course added while running is picked up by the next refresh.
        with session_factory.begin() as session:
            course = create_course(session, code="CS102", name="Later", timezone="UTC",
                                   camera_name=room.camera_name)
            later = create_adhoc_session(
                session, course_id=course.id, starts_at=datetime.now(UTC) + timedelta(seconds=1),
                ends_at=datetime.now(UTC) + timedelta(seconds=3),
            ).id
        assert _wait_for(lambda: scheduler.get_job(f"finalize:{later}"), 5)
        assert _wait_for(lambda: _finalized(session_factory, [room.class_session_id, later]), 10)
    finally:
        scheduler.shutdown(wait=True)
        worker.close()

    with session_factory() as session:
        records = session.scalars(select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == room.class_session_id)).all()
        assert [(r.student_id, r.status) for r in records] == [
            (room.students["Colin_Powell"], "present")]
        assert records[0].sightings_count >= 2
        camera = session.get(Camera, room.camera_id)
        assert camera is not None
        assert camera.frames_processed >= 2


def _finalized(factory: sessionmaker[Session], ids: list[int]) -> bool:
    with factory() as session:
        rows = session.scalars(select(ClassSession).where(ClassSession.id.in_(ids))).all()
        return all(r.finalized_at is not None for r in rows)


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_refresh_finalises_a_session_that_ended_while_the_worker_was_down(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, worker_refresh_seconds=1.0)
    room = make_classroom(session_factory, {"Colin_Powell": [VECTOR]}, source="still",
                          model_version="stub")
    now = datetime.now(UTC)
    with session_factory.begin() as session:
        row = session.get(ClassSession, room.class_session_id)
        assert row is not None
        row.starts_at, row.ends_at = now - timedelta(hours=2), now - timedelta(hours=1)
    recognizer = Recognizer([_StubEmbedder()], detector=_one_face, thresholds={"dlib": 0.5},
                            rule="both")
    worker = CameraWorker(settings, camera_id=room.camera_id, camera_name=room.camera_name,
                          session_factory=session_factory, recognizer=recognizer,
                          frame_source_factory=_StillCamera)
    scheduler = build_scheduler(settings, [worker], background=True)
    scheduler.start()
    try:
        assert _wait_for(lambda: _finalized(session_factory, [room.class_session_id]), 5)
    finally:
        scheduler.shutdown(wait=True)
    with session_factory() as session:
        statuses = session.scalars(select(AttendanceRecord.status)).all()
        finalised = session.get(ClassSession, room.class_session_id)
        assert finalised is not None
        # The camera delivered no frame in the session: flagged incomplete, and nobody is
        # marked absent automatically (human oversight rule; see docs/oversight.md).
        assert finalised.incomplete is True
        assert statuses == []
