"""A simulated classroom for the worker proofs: scripted camera faults, a recogniser that
"sees" students by the (fake) clock, and a record of every sighting it produced.

No model runs: :class:`SimRecognizer` replaces face detection and matching, so a two-hour
session of 1,440 frames runs in seconds and every sighting the worker should store is known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import Consent, Student
from attendance.matching import Gallery
from attendance.services.cameras import create_camera
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.worker import CameraWorker, Clock, FrameSource
from attendance.worker.recognition import FaceResult, FrameAnalysis, Recognizer
from tests.webui.conftest import FakeEmbedder

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
BOX = (10, 60, 60, 10)


@dataclass
class Room:
    camera_id: int
    camera_name: str
    course_id: int
    session_id: int
    students: list[int]


def make_room(factory: sessionmaker[Session], *, name: str = "room-1", students: int = 6,
              start: datetime = START, hours: float = 2.0, late_after: int = 10) -> Room:
    """A camera, a course filmed by it with ``students`` on the roster, one session."""
    with factory.begin() as session:
        camera = create_camera(session, name=name, source="0")
        course = create_course(session, code=f"C-{name}", name=f"Course in {name}",
                               timezone="UTC", late_after_minutes=late_after, camera_name=name)
        rows = [Student(student_number=f"{name}-{i}", display_name=f"Pupil {i}")
                for i in range(students)]
        session.add_all(rows)
        session.flush()
        session.add_all(Consent(student_id=r.id, given_by=r.display_name, relation="student",
                                notice_version="1", recorded_by="test") for r in rows)
        add_to_roster(session, course.id, student_ids=[r.id for r in rows])
        run = create_adhoc_session(session, course_id=course.id, starts_at=start,
                                   ends_at=start + timedelta(hours=hours))
        return Room(camera.id, name, course.id, run.id, [r.id for r in rows])


Visibility = Callable[[datetime], Sequence[int]]


class SimRecognizer(Recognizer):
    """Sees the students ``visible(now)`` in every frame and remembers each sighting made."""

    def __init__(self, clock: Clock, visible: Visibility) -> None:
        super().__init__([FakeEmbedder()], detector=lambda _rgb: [], thresholds={"dlib": 0.5},
                         rule="both")
        self.clock, self.visible = clock, visible
        self.produced: list[tuple[datetime, int]] = []
        self._lock = threading.Lock()

    def analyse(self, frame_bgr: NDArray[np.uint8], galleries: Mapping[str, Gallery],
                **_: Any) -> FrameAnalysis:
        """The visible students, every one decided anew (no tracker: nothing inherited)."""
        now = self.clock.now()
        seen = list(self.visible(now))
        with self._lock:
            self.produced.extend((now, student) for student in seen)
        return FrameAnalysis([FaceResult(BOX, s, {"dlib": {"distance": 0.3, "threshold": 0.5}})
                              for s in seen])


@dataclass
class FaultPlan:
    """Camera faults by simulated instant: the stream drops (one read returns nothing), a
    read hangs for ever, or the picture freezes on the last frame until reconnected."""

    drops: set[datetime] = field(default_factory=set)
    hangs: set[datetime] = field(default_factory=set)
    freezes: set[datetime] = field(default_factory=set)
    release: threading.Event = field(default_factory=threading.Event)


class SimCamera:
    """Factory of fake sources following ``plan``; every good frame differs (a counter)."""

    def __init__(self, clock: Clock, plan: FaultPlan | None = None) -> None:
        self.clock, self.plan = clock, plan or FaultPlan()
        self.opened = 0
        self.counter = 0

    def __call__(self) -> _SimSource:
        return _SimSource(self)


class _SimSource:
    description = "simulated camera"

    def __init__(self, camera: SimCamera) -> None:
        self.camera = camera
        self.frozen: NDArray[np.uint8] | None = None
        self.last: NDArray[np.uint8] | None = None

    def open(self) -> None:
        self.camera.opened += 1

    def read(self) -> NDArray[np.uint8] | None:
        camera, now = self.camera, self.camera.clock.now()
        if now in camera.plan.drops:
            return None
        if now in camera.plan.hangs:
            camera.plan.release.wait()  # never returns while the test runs
            return None
        if now in camera.plan.freezes and self.last is not None:
            self.frozen = self.last
        if self.frozen is not None:
            return self.frozen.copy()
        camera.counter += 1
        frame = np.full((48, 64, 3), 120, dtype=np.uint8)
        frame[0, :8, 0] = np.frombuffer(camera.counter.to_bytes(8, "little"), dtype=np.uint8)
        self.last = frame
        return frame

    def close(self) -> None:
        pass


def make_worker(settings: Settings, factory: Any, room: Room, clock: Clock,
                recognizer: Recognizer, camera: Callable[[], FrameSource]) -> CameraWorker:
    return CameraWorker(settings, camera_id=room.camera_id, camera_name=room.camera_name,
                        session_factory=factory, recognizer=recognizer,
                        frame_source_factory=camera, clock=clock)


def kill_truth(room: Room) -> tuple[Visibility, dict[int, str]]:
    """Who is in the picture when, and the attendance that must come out of it, for the
    kill tests (late after 10 minutes): students 0-1 from the start until minute 50
    (present), 2 from minute 15 and 3 from minute 20 to the end (late), 4 only at the instant
    of minute 30 (seen once at most: absent), 5 never (absent)."""
    s = room.students

    def visible(now: datetime) -> list[int]:
        minute = (now - START).total_seconds() / 60
        out = [s[0], s[1]] if minute < 50 else []
        out += [s[2]] if minute >= 15 else []
        out += [s[3]] if minute >= 20 else []
        out += [s[4]] if minute == 30 else []
        return out

    expected = {s[0]: "present", s[1]: "present", s[2]: "late", s[3]: "late",
                s[4]: "absent", s[5]: "absent"}
    return visible, expected
