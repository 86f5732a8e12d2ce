"""Frame coverage: a session the camera did not cover for 90 % of its time marks nobody
absent, and a course with face recognition switched off is never captured.

The worker is driven by :func:`run_class_session` and a fake clock, with a scripted camera
(a grey frame, or nothing during an outage) and a recogniser that sees no faces, so these
tests need neither LFW nor dlib. Session 10:00-10:10, one capture every 30 s: the coverage
formula (``attendance.services.oversight``) expects ceil(600 / 30) = 20 frames.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AttendanceRecord, ClassSession, Course, Student
from attendance.services.cameras import create_camera
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.worker import CameraWorker, FakeClock, run_class_session
from attendance.worker.recognition import FrameAnalysis

from .conftest import END, START


class _NoFaces:
    """A recogniser stand-in: one model version, and no face in any frame."""

    model_versions = {"dlib": "test"}

    def analyse(self, frame: NDArray[np.uint8], galleries: Any, **_: Any) -> FrameAnalysis:
        return FrameAnalysis([])


class _Camera:
    """Grey frames (a new shade each read, so none looks frozen), except during ``outage``
    (start, end) where every read fails."""

    description = "scripted test camera"

    def __init__(self, clock: FakeClock, outage: tuple[datetime, datetime] | None) -> None:
        self.clock, self.outage = clock, outage
        self.reads = 0

    def open(self) -> None:
        pass

    def read(self) -> NDArray[np.uint8] | None:
        now = self.clock.now()
        if self.outage is not None and self.outage[0] <= now < self.outage[1]:
            return None
        self.reads += 1
        return np.full((48, 64, 3), 60 + self.reads % 150, dtype=np.uint8)

    def close(self) -> None:
        pass


def _room(factory: sessionmaker[Session], *, face_recognition: bool = True) -> tuple[int, int]:
    """Camera, course, two rostered students and the 10:00-10:10 session; (camera id, session
    id)."""
    with factory.begin() as session:
        camera = create_camera(session, name="room-7", source="0")
        course = create_course(session, code="COV1", name="Coverage", timezone="UTC",
                               late_after_minutes=3, camera_name="room-7")
        course.face_recognition_enabled = face_recognition
        students = [Student(student_number=f"C{i}", display_name=f"Student {i}")
                    for i in range(2)]
        session.add_all(students)
        session.flush()
        add_to_roster(session, course.id, student_ids=[s.id for s in students])
        class_session = create_adhoc_session(session, course_id=course.id, starts_at=START,
                                             ends_at=END)
        return camera.id, class_session.id


def _run(factory: sessionmaker[Session], settings: Settings, camera_id: int, session_id: int,
         outage: tuple[datetime, datetime] | None) -> tuple[int, int | None, list[int]]:
    """Run the session; (frames analysed, absences created, sources made)."""
    clock = FakeClock(START - timedelta(minutes=1))
    made: list[int] = []

    def source() -> _Camera:
        made.append(1)
        return _Camera(clock, outage)

    worker = CameraWorker(settings, camera_id=camera_id, camera_name="room-7",
                          session_factory=factory, recognizer=_NoFaces(),  # type: ignore[arg-type]
                          frame_source_factory=source, clock=clock)
    summary = run_class_session(worker, session_id)
    worker.close()
    return summary.frames, summary.absences, made


def _state(factory: sessionmaker[Session], session_id: int) -> tuple[ClassSession, list[str]]:
    with factory() as session:
        row = session.get(ClassSession, session_id)
        assert row is not None
        statuses = list(session.scalars(select(AttendanceRecord.status).where(
            AttendanceRecord.class_session_id == session_id)))
        return row, statuses


@pytest.mark.parametrize(
    ("outage_minutes", "received", "incomplete"),
    [
        (None, 20, False),  # every tick delivered: 100 %
        ((2.0, 3.0), 18, False),  # 10:02 and 10:02:30 lost: 18/20 = 90 %, not below
        ((2.0, 3.5), 17, True),  # three ticks lost: 85 % < 90 %
        ((0.0, 10.0), 0, True),  # the camera never delivered during the session
    ],
)
def test_coverage_decides_whether_absences_are_inferred(
    session_factory: sessionmaker[Session],
    worker_settings: Callable[..., Settings],
    outage_minutes: tuple[float, float] | None,
    received: int,
    incomplete: bool,
) -> None:
    camera_id, session_id = _room(session_factory)
    outage = None if outage_minutes is None else (
        START + timedelta(minutes=outage_minutes[0]), START + timedelta(minutes=outage_minutes[1]))

    frames, absences, _made = _run(session_factory, worker_settings(), camera_id, session_id,
                                   outage)

    row, statuses = _state(session_factory, session_id)
    assert frames == received + 2  # the two grace ticks (09:59, 09:59:30) are not counted
    assert (row.frames_received, row.frames_expected) == (received, 20)
    assert row.incomplete is incomplete
    assert row.finalized_at is not None
    if incomplete:
        assert absences == 0
        assert statuses == []  # nobody marked absent: "not seen" proves nothing here
    else:
        assert absences == 2
        assert statuses == ["absent", "absent"]


def test_the_threshold_is_a_setting(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
) -> None:
    camera_id, session_id = _room(session_factory)
    outage = (START + timedelta(minutes=2), START + timedelta(minutes=3.5))  # 85 %

    _run(session_factory, worker_settings(min_frame_coverage=0.8), camera_id, session_id, outage)

    row, statuses = _state(session_factory, session_id)
    assert not row.incomplete
    assert statuses == ["absent", "absent"]


def test_course_without_face_recognition_is_never_captured(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
) -> None:
    camera_id, session_id = _room(session_factory, face_recognition=False)

    frames, absences, made = _run(session_factory, worker_settings(), camera_id, session_id,
                                  None)

    row, statuses = _state(session_factory, session_id)
    assert (frames, made) == (0, [])  # the camera was never even opened
    assert absences == 0
    assert statuses == []
    assert row.frames_received == 0
    assert row.finalized_at is not None
    with session_factory() as session:
        assert session.scalar(select(Course.face_recognition_enabled)) is False


@pytest.mark.parametrize("enabled", [True, False])
def test_scheduler_captures_only_for_face_recognition_courses(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
    enabled: bool,
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from attendance.worker.scheduler import refresh_job

    camera_id, session_id = _room(session_factory, face_recognition=enabled)
    clock = FakeClock(START - timedelta(minutes=5))
    worker = CameraWorker(worker_settings(), camera_id=camera_id, camera_name="room-7",
                          session_factory=session_factory,
                          recognizer=_NoFaces(),  # type: ignore[arg-type]
                          frame_source_factory=lambda: _Camera(clock, None), clock=clock)
    scheduler = BackgroundScheduler(timezone="UTC")  # never started: jobs are only listed
    scheduled: dict[int, Any] = {}

    refresh_job(scheduler, worker, scheduled)

    assert (scheduler.get_job(f"capture:{session_id}") is not None) is enabled
    assert (session_id in scheduled) is enabled
