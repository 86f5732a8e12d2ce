"""A whole class session from an LFW video, driven by a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import AttendanceRecord, Sighting
from attendance.services.unsure import is_unsure
from attendance.worker import CameraWorker, FakeClock, run_class_session
from attendance.worker.thumbnails import read_thumbnail
from models import Embedder

from .conftest import START, Classroom, make_classroom
from .scenario import assert_scenario, camera_row, tick_time
from .videos import FACES_IN_TIMELINE, TIMELINE, UNKNOWN_FACES, TimedVideoSource, write_video

pytestmark = pytest.mark.lfw

Vectors = dict[str, list[NDArray[np.float32]]]


@pytest.fixture(scope="session")
def scenario_video(lfw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "classroom.avi", lfw_dir, TIMELINE)


def test_whole_session_marks_present_late_and_absent(
    session_factory: sessionmaker[Session],
    enrollment_vectors: Vectors,
    scenario_video: Path,
    dlib_embedder: Embedder,
    worker_settings: Callable[..., Settings],
) -> None:
    room = make_classroom(session_factory, enrollment_vectors, source=str(scenario_video))
    clock = FakeClock(START - timedelta(minutes=1))
    worker = CameraWorker.for_camera(worker_settings(), session_factory, room.camera_name,
                                     embedders=[dlib_embedder], clock=clock)

    summary = run_class_session(worker, room.class_session_id)
    worker.close()

    assert (summary.ticks, summary.frames) == (len(TIMELINE), len(TIMELINE))
    assert summary.faces == FACES_IN_TIMELINE
    assert summary.matched == FACES_IN_TIMELINE - UNKNOWN_FACES
    assert summary.absences == 1  # Sharon: no record until the end
    assert worker.galleries.loads == 1
    assert_scenario(session_factory, room, faces=FACES_IN_TIMELINE, unknown=UNKNOWN_FACES)
    camera = camera_row(session_factory, room.camera_id)
    assert camera.frames_processed == len(TIMELINE)
    assert camera.faces_seen == FACES_IN_TIMELINE
    assert camera.last_frame_at == tick_time(len(TIMELINE) - 1)
    assert camera.last_heartbeat_at is not None
    assert camera.last_error is None
    settings = worker.settings
    # keep_thumbnails is off: only the faces the review queue asks a teacher about are kept.
    kept = {p.stem for p in (settings.instance_path / "thumbnails").glob("*/*.jpg")}
    with session_factory() as session:
        unsure = {s.dedupe_key for s in session.scalars(select(Sighting))
                  if is_unsure(s.evidence, s.student_id)}
    assert kept == unsure
    assert len(kept) < FACES_IN_TIMELINE


def test_restart_mid_session_resumes_without_duplicates(
    session_factory: sessionmaker[Session],
    enrollment_vectors: Vectors,
    scenario_video: Path,
    dlib_embedder: Embedder,
    worker_settings: Callable[..., Settings],
) -> None:
    room = make_classroom(session_factory, enrollment_vectors, source=str(scenario_video))
    clock = FakeClock(START - timedelta(minutes=1))
    t0 = clock.now()

    settings = worker_settings(keep_thumbnails=True)

    def start_worker() -> CameraWorker:
        return CameraWorker.for_camera(
            settings, session_factory, room.camera_name, embedders=[dlib_embedder],
            clock=clock, frame_source_factory=lambda: TimedVideoSource(scenario_video, clock, t0),
        )

    first = start_worker()
    half = run_class_session(first, room.class_session_id, max_ticks=11)
    assert half.absences is None  # killed: never finalised, never closed
    _assert_mid_session(session_factory, room)

    second = start_worker()
    rest = run_class_session(second, room.class_session_id)
    second.close()

    assert half.ticks + rest.ticks == len(TIMELINE)
    assert_scenario(session_factory, room, faces=FACES_IN_TIMELINE, unknown=UNKNOWN_FACES)
    assert camera_row(session_factory, room.camera_id).frames_processed == len(TIMELINE)
    with session_factory() as session:
        keys = set(session.scalars(select(Sighting.dedupe_key)))
    thumbnails = list((settings.instance_path / "thumbnails").glob("*/*.jpg"))
    assert {p.stem for p in thumbnails} == keys
    cipher = TemplateCipher.from_settings(settings)
    for path in thumbnails:  # encrypted at rest, bound to their sighting
        assert path.read_bytes().startswith(b"ATTENC1:")
        jpeg = np.frombuffer(read_thumbnail(path, path.stem, cipher), dtype=np.uint8)
        assert max(np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)).shape[:2]) <= 96


def _assert_mid_session(factory: sessionmaker[Session], room: Classroom) -> None:
    with factory() as session:
        records = session.scalars(select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == room.class_session_id)).all()
        confirmed = {r.student_id: r.status for r in records if r.sightings_count >= 2}
        assert confirmed == {room.students["Colin_Powell"]: "present",
                             room.students["Donald_Rumsfeld"]: "late"}
        seen = sum(len(frame) for frame in TIMELINE[:11])
        assert session.scalar(select(func.count()).select_from(Sighting)) == seen
