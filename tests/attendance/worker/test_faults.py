"""Faults during a session: the camera drops and misbehaves, the database goes away, a commit
acknowledgement is lost. The worker never dies, loses nothing and writes nothing twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AttendanceRecord, Sighting, make_engine, make_session_factory
from attendance.errors import CameraUnavailable
from attendance.worker import CameraWorker, Clock, FakeClock, FrameSource, run_class_session
from attendance.worker.spool import PendingSighting, SightingSpool, new_dedupe_key
from models import Embedder
from tests.outages import OutageDatabase

from .conftest import START, make_classroom
from .scenario import assert_scenario, camera_row
from .videos import FACES_IN_TIMELINE, TIMELINE, UNKNOWN_FACES, TimedVideoSource, write_video

Vectors = dict[str, list[NDArray[np.float32]]]


@pytest.fixture(scope="session")
def scenario_video(lfw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_video(tmp_path_factory.mktemp("video") / "classroom.avi", lfw_dir, TIMELINE)


class _Script:
    """Makes the sources of the camera-fault test, one behaviour per (re)connection."""

    def __init__(self, video: Path, clock: Clock, t0: datetime) -> None:
        self.video, self.clock, self.t0 = video, clock, t0
        self.made = 0

    def __call__(self) -> FrameSource:
        self.made += 1
        source = TimedVideoSource(self.video, self.clock, self.t0)
        if self.made == 1:  # works until 10:07, then the stream stops
            return _StopsAt(source, START + timedelta(minutes=7))
        if self.made == 2:  # the camera cannot be opened
            return _CannotOpen(source)
        if self.made == 3:  # opens, but delivers a wrong shape, then black, then real frames
            return _Garbage(source)
        return source


class _Wrapper:
    def __init__(self, inner: TimedVideoSource) -> None:
        self.inner = inner

    @property
    def description(self) -> str:
        return self.inner.description

    def open(self) -> None:
        self.inner.open()

    def read(self) -> NDArray[np.uint8] | None:
        return self.inner.read()

    def close(self) -> None:
        self.inner.close()


class _StopsAt(_Wrapper):
    def __init__(self, inner: TimedVideoSource, at: datetime) -> None:
        super().__init__(inner)
        self.at = at

    def read(self) -> NDArray[np.uint8] | None:
        return None if self.inner.clock.now() >= self.at else self.inner.read()


class _CannotOpen(_Wrapper):
    def open(self) -> None:
        raise CameraUnavailable("no such device (test)")


class _Garbage(_Wrapper):
    reads = 0

    def read(self) -> NDArray[np.uint8] | None:
        self.reads += 1
        if self.reads == 1:
            return np.zeros((10, 10), dtype=np.uint8)
        if self.reads == 2:
            return np.zeros((360, 640, 3), dtype=np.uint8)
        return self.inner.read()


@pytest.mark.lfw
def test_camera_that_stops_fails_and_delivers_garbage_is_recovered(
    session_factory: sessionmaker[Session],
    enrollment_vectors: Vectors,
    scenario_video: Path,
    dlib_embedder: Embedder,
    worker_settings: Callable[..., Settings],
) -> None:
    room = make_classroom(session_factory, enrollment_vectors, source=str(scenario_video))
    clock = FakeClock(START - timedelta(minutes=1))
    script = _Script(scenario_video, clock, clock.now())
    worker = CameraWorker.for_camera(worker_settings(), session_factory, room.camera_name,
                                     embedders=[dlib_embedder], clock=clock,
                                     frame_source_factory=script)

    summary = run_class_session(worker, room.class_session_id)

    # Lost: 10:07 (stream stops), 10:07:30 (cannot open: Serena and Chavez unseen),
    # 10:08 (wrong shape), 10:08:30 (black). Rumsfeld's last frame at 10:09:30 is read again.
    assert summary.ticks == len(TIMELINE)
    assert summary.frames == len(TIMELINE) - 4
    assert script.made == 3
    assert worker.camera.reconnects == 1
    # 4 of the 20 in-session ticks lost: 80 % coverage < 90 %, so nobody is marked absent.
    assert_scenario(session_factory, room, faces=FACES_IN_TIMELINE - 2,
                    unknown=UNKNOWN_FACES - 2, incomplete=True)
    camera = camera_row(session_factory, room.camera_id)
    assert camera.frames_processed == len(TIMELINE) - 4
    assert camera.last_error is not None
    assert "frame is all black" in camera.last_error


def _db_down() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("database is down (test)"))


@pytest.mark.lfw
def test_database_outage_spools_sightings_and_writes_them_once(
    outage_db: OutageDatabase,
    enrollment_vectors: Vectors,
    scenario_video: Path,
    dlib_embedder: Embedder,
    worker_settings: Callable[..., Settings],
) -> None:
    """The real models on the scenario video while the database is really down (the
    PostgreSQL server stopped, or SQLite's write lock held by another process) from 10:00
    to 10:04:10: the sightings wait in the spool and are written once when it is back."""
    engine = make_engine(outage_db.url, busy_timeout_s=0.02)
    factory = make_session_factory(engine)
    room = make_classroom(factory, enrollment_vectors, source=str(scenario_video))
    clock = FakeClock(START - timedelta(minutes=1))
    outage = (START, START + timedelta(minutes=4, seconds=10))  # ticks 10:00 .. 10:04
    worker = CameraWorker.for_camera(worker_settings(), factory, room.camera_name,
                                     embedders=[dlib_embedder], clock=clock)
    pending_during_outage: list[int] = []
    original_tick = worker.tick

    def tick(class_session_id: int) -> Any:
        now = clock.now()
        if outage[0] <= now < outage[1] and not outage_db.down:
            outage_db.go_down()
        elif now >= outage[1] and outage_db.down:
            outage_db.come_back()
        report = original_tick(class_session_id)
        if outage_db.down:
            pending_during_outage.append(len(worker.spool))
        return report

    worker.tick = tick  # type: ignore[method-assign]
    summary = run_class_session(worker, room.class_session_id)

    assert len(pending_during_outage) == 9  # the ticks 10:00 .. 10:04
    assert max(pending_during_outage) >= 6  # Powell, Serena, Chavez, Schroeder, ...
    assert len(worker.spool) == 0
    assert summary.frames == len(TIMELINE)
    assert_scenario(factory, room, faces=FACES_IN_TIMELINE, unknown=UNKNOWN_FACES)
    assert camera_row(factory, room.camera_id).frames_processed == len(TIMELINE)
    engine.dispose()


def test_lost_commit_acknowledgement_is_not_written_twice(
    session_factory: sessionmaker[Session],
) -> None:
    rng = np.random.default_rng(0)
    vectors = {name: [rng.normal(size=128).astype(np.float32)]
               for name in ("Ariel_Sharon", "Colin_Powell", "Donald_Rumsfeld",
                            "Gerhard_Schroeder", "Hugo_Chavez")}
    room = make_classroom(session_factory, vectors, source="0")
    spool = SightingSpool(capacity=10)
    for minute in (1, 2):
        spool.add(PendingSighting(
            class_session_id=room.class_session_id, student_id=room.students["Colin_Powell"],
            seen_at=START + timedelta(minutes=minute), box=(10, 60, 60, 10),
            evidence={"dlib": {"distance": 0.3}}, camera_id=room.camera_id,
            dedupe_key=new_dedupe_key(),
        ))
    lost = {"left": 1}

    class AckLostSession(Session):
        """Commits, then reports a dropped connection (once), as a lost COMMIT reply would."""

        @contextmanager
        def begin(self, nested: bool = False) -> Iterator[Any]:  # type: ignore[override]
            with super().begin(nested=nested) as transaction:
                yield transaction
            if lost["left"] and not nested:
                lost["left"] -= 1
                raise _db_down()

    ack_lost_once = sessionmaker(bind=session_factory.kw["bind"], class_=AckLostSession,
                                 expire_on_commit=False)

    first = spool.flush(ack_lost_once, min_sightings=2)
    assert first.db_error is not None
    assert len(spool) == 2  # the worker cannot know the commit went through
    second = spool.flush(ack_lost_once, min_sightings=2)
    assert (second.written, second.duplicates, second.pending) == (0, 2, 0)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Sighting)) == 2
        record = session.scalars(select(AttendanceRecord)).one()
        assert (record.status, record.sightings_count) == ("present", 2)
