"""The worker process of the real SIGKILL proof (``test_worker_kill``, ``--slow``).

``python -m tests.trust.kill_child URL SESSION EPOCH SPEED [LFW]`` runs the simulated
classroom's worker for class session SESSION on database URL, on a clock that runs SPEED
times faster than the wall clock from the instant EPOCH (Unix seconds) = the session's start,
so every restarted process agrees on the simulated time. With LFW (a folder of LFW people,
:mod:`tests.lfw_faces`) the frames show real faces and the real dlib model recognises them
(:mod:`.real_classroom`); without it a recogniser that knows the truth stands in. It exits 0
once the session is finalised.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from attendance.config import load_settings
from attendance.db import Camera, ClassSession, Enrollment, make_engine, make_session_factory
from attendance.worker import FrameSource, run_class_session
from attendance.worker.recognition import Recognizer
from models import load_embedders
from tests.lfw_faces import LfwFaces

from .real_classroom import REAL_INTERVAL_S, LfwCamera
from .worker_sim import START, Room, SimCamera, SimRecognizer, kill_truth, make_worker


class ScaledClock:
    """Simulated time = START + (wall time - ``epoch``) x ``speed``."""

    def __init__(self, epoch: float, speed: float) -> None:
        self.epoch, self.speed = epoch, speed

    def now(self) -> datetime:
        return START + timedelta(seconds=(time.time() - self.epoch) * self.speed)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(max(0.0, seconds) / self.speed)


def main(url: str, session_id: int, epoch: float, speed: float, lfw: str | None) -> int:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        run = session.get(ClassSession, session_id)
        assert run is not None
        camera = session.scalars(select(Camera)).one()
        students = sorted(session.scalars(select(Enrollment.student_id).where(
            Enrollment.course_id == run.course_id)))
    room = Room(camera.id, camera.name, run.course_id, session_id, students)
    settings = load_settings({
        "instance_path": Path(tempfile.mkdtemp()),
        "capture_interval_seconds": REAL_INTERVAL_S if lfw else 10.0,
        "capture_grace_minutes": 0, "min_sightings": 2, "min_frame_coverage": 0.0,
        "embedders": ["dlib"],
    }, environ={})
    clock = ScaledClock(epoch, speed)
    visible, _expected = kill_truth(room)
    if lfw:
        recognizer = Recognizer.from_settings(settings, load_embedders(["dlib"]))
        source: Callable[[], FrameSource] = LfwCamera(clock, room, visible,
                                                      LfwFaces(Path(lfw)))
    else:
        recognizer, source = SimRecognizer(clock, visible), SimCamera(clock)
    worker = make_worker(settings, factory, room, clock, recognizer, source)
    summary = run_class_session(worker, session_id)
    worker.close()
    engine.dispose()
    return 0 if summary.absences is not None else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]),
                  sys.argv[5] if len(sys.argv) > 5 else None))
