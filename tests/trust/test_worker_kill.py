"""Proof: the worker killed at 20 random points (mid-write, after a commit, in a heartbeat,
while finalising) and restarted: attendance equals the ground truth, no record is missing,
none is duplicated.

In-process, a kill is an exception no handler of the worker catches (``BaseException``)
raised inside a database transaction; the killed worker object is dropped with whatever it
had in memory, as with SIGKILL, and a fresh one carries on from the clock's current time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AttendanceRecord, Sighting
from attendance.worker import FakeClock, FrameSource, run_class_session
from attendance.worker.recognition import Recognizer
from models import Embedder
from tests.conftest import make_settings
from tests.lfw_faces import LfwFaces

from .real_classroom import REAL_INTERVAL_S, LfwCamera, enroll_real_faces
from .worker_sim import (
    START,
    Room,
    SimCamera,
    SimRecognizer,
    kill_truth,
    make_room,
    make_worker,
)

INTERVAL_S = 10.0
KILLS = 20


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the worker handles it."""


class KillingFactory:
    """Counts the worker's commits; at each planned one, kills just before or just after it.
    Once the clock reaches ``finalize_at``, the next commit (finalisation) is killed before
    it happens, once."""

    def __init__(self, inner: sessionmaker[Session], plan: dict[int, str], clock: FakeClock,
                 finalize_at: datetime) -> None:
        self.inner, self.plan, self.clock, self.finalize_at = inner, plan, clock, finalize_at
        self.commits = 0
        self.kills: list[str] = []
        self._finalize_killed = False

    def __call__(self) -> Session:
        session = self.inner()
        event.listen(session, "before_commit", self._before)
        event.listen(session, "after_commit", self._after)
        return session

    def _before(self, session: Session) -> None:
        self.commits += 1
        moment = self.plan.get(self.commits)
        if moment is None and not self._finalize_killed and self.clock.now() >= self.finalize_at:
            self._finalize_killed = True
            moment = "before_commit"
        if moment == "before_commit":
            self._kill(moment)
        elif moment == "after_commit":
            session.info["kill_after_commit"] = True

    def _after(self, session: Session) -> None:
        if session.info.pop("kill_after_commit", False):
            self._kill("after_commit")

    def _kill(self, moment: str) -> None:
        self.kills.append(moment)
        raise Killed


@pytest.mark.parametrize("seed", [1, 2])
def test_worker_killed_at_twenty_random_points_and_restarted(
    tmp_path: Path, session_factory: sessionmaker[Session], seed: int,
) -> None:
    settings = make_settings(tmp_path, capture_interval_seconds=INTERVAL_S,
                             capture_grace_minutes=0, min_sightings=2,
                             min_frame_coverage=0.0)
    room = make_room(session_factory, hours=1.0)
    visible, expected = kill_truth(room)
    rng = random.Random(seed)
    # About two commits per tick (sightings, heartbeat): ~720 in the hour.
    points = sorted(rng.sample(range(5, 650), KILLS - 1))
    plan = {n: rng.choice(["before_commit", "after_commit"]) for n in points}
    clock = FakeClock(START)
    recognizer = SimRecognizer(clock, visible)
    factory = KillingFactory(session_factory, plan, clock, START + timedelta(hours=1))
    restarts = _run_killed(settings, factory, room, clock, recognizer, SimCamera(clock),
                           restart_s=INTERVAL_S)
    wrong, missing, duplicates, sightings, keys = _outcome(session_factory, room, expected)
    lost = len(recognizer.produced) - sightings
    print(f"\n[trust] SIGKILL (in-process, seed {seed}): {len(factory.kills)} kills "
          f"({factory.kills.count('after_commit')} just after a commit), {restarts} "
          f"restarts; attendance wrong {wrong}, missing {missing}, duplicate rows {duplicates}; "
          f"sightings produced {len(recognizer.produced)}, stored {sightings} (lost with the "
          f"killed process's memory: {lost}), duplicate sightings {sightings - keys}")
    assert len(factory.kills) == KILLS
    assert (wrong, missing, duplicates) == (0, 0, 0)
    assert sightings == keys


def _run_killed(settings: Settings, factory: KillingFactory, room: Room, clock: FakeClock,
                recognizer: Recognizer, camera: Callable[[], FrameSource], *,
                restart_s: float) -> int:
    """Run the session, starting a new worker (and nothing else of the old one) after each
    kill, ``restart_s`` later, until the session is finalised; returns the restarts."""
    restarts = 0
    finalised = False
    while not finalised:
        worker = make_worker(settings, factory, room, clock, recognizer, camera)
        try:
            summary = run_class_session(worker, room.session_id)
            finalised = summary.absences is not None
        except Killed:
            restarts += 1  # the worker object and its memory are gone; start a new one
        clock.advance(restart_s)  # the restart takes a moment
    return restarts


def _outcome(factory: sessionmaker[Session], room: Room, expected: dict[int, str]) -> (
    tuple[int, int, int, int, int]
):
    """(attendance wrong, missing, duplicate records, sightings stored, distinct keys)."""
    with factory() as session:
        records = list(session.scalars(select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == room.session_id)))
        sightings = session.scalar(select(func.count()).select_from(Sighting)) or 0
        keys = session.scalar(select(func.count(func.distinct(Sighting.dedupe_key)))) or 0
    status = {r.student_id: r.status for r in records}
    wrong = sum(1 for student, want in expected.items() if status.get(student) != want)
    missing = sum(1 for student in expected if student not in status)
    return wrong, missing, len(records) - len(status), sightings, keys


@pytest.mark.lfw
@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
def test_worker_with_the_real_models_killed_at_twenty_points(
    tmp_path: Path, session_factory: sessionmaker[Session], lfw_faces: LfwFaces,
    dlib_model: Embedder,
) -> None:
    """The same proof with nothing simulated but the kill and the clock: LFW photos of the
    six students (and a stranger) in the frames, the real HOG detector and dlib model,
    stored embeddings, real matching. Attendance must still be exactly the ground truth,
    and every sighting that names a student must name one who was in the picture."""
    settings = make_settings(tmp_path, capture_interval_seconds=REAL_INTERVAL_S,
                             capture_grace_minutes=0, min_sightings=2,
                             min_frame_coverage=0.0, embedders=("dlib",))
    room = make_room(session_factory, hours=1.0)
    enroll_real_faces(session_factory, room, lfw_faces, dlib_model)
    visible, expected = kill_truth(room)
    rng = random.Random(3)
    # About three commits per frame (sightings, coverage, heartbeat): ~180 in the hour.
    points = sorted(rng.sample(range(5, 150), KILLS - 1))
    plan = {n: rng.choice(["before_commit", "after_commit"]) for n in points}
    clock = FakeClock(START)
    camera = LfwCamera(clock, room, visible, lfw_faces)
    recognizer = Recognizer.from_settings(settings, [dlib_model])
    factory = KillingFactory(session_factory, plan, clock, START + timedelta(hours=1))
    restarts = _run_killed(settings, factory, room, clock, recognizer, camera, restart_s=5.0)
    wrong, missing, duplicates, sightings, keys = _outcome(session_factory, room, expected)
    with session_factory() as session:
        stored = list(session.scalars(select(Sighting)))
    named = [s for s in stored if s.student_id is not None]
    misnamed = sum(1 for s in named if s.student_id not in visible(s.seen_at))
    unknown = len(stored) - len(named)
    print(f"\n[trust] SIGKILL with the real models (in-process): {len(factory.kills)} kills "
          f"({factory.kills.count('after_commit')} just after a commit), {restarts} restarts, "
          f"{camera.reads} frames of LFW faces; attendance wrong {wrong}, missing {missing}, "
          f"duplicate rows {duplicates}; sightings stored {sightings} (named {len(named)}, "
          f"naming someone not in the picture {misnamed}; unknown {unknown}), duplicate "
          f"sightings {sightings - keys}")
    assert len(factory.kills) == KILLS
    assert (wrong, missing, duplicates) == (0, 0, 0)
    assert sightings == keys
    assert misnamed == 0
    assert len(named) > 100  # the models did recognise the students, many times
    assert unknown > 0  # the stranger was seen and not taken for anyone


@pytest.mark.slow
@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("models", "speed"), [("simulated", 30.0), ("real", 10.0)])
def test_worker_process_sigkilled_at_twenty_random_points(
    session_factory: sessionmaker[Session], request: pytest.FixtureRequest, models: str,
    speed: float,
) -> None:
    """The real thing: ``kill -9`` of the worker process at 20 random moments of a one-hour
    session run ``speed`` times faster than real time, each time restarted at once; with
    the simulated recogniser, or with LFW faces in the frames and the real dlib model."""
    import os
    import signal
    import subprocess
    import sys
    import time

    room = make_room(session_factory, hours=1.0)
    visible, expected = kill_truth(room)
    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    extra: list[str] = []
    if models == "real":
        lfw: LfwFaces = request.getfixturevalue("lfw_faces")
        enroll_real_faces(session_factory, room, lfw, request.getfixturevalue("dlib_model"))
        extra = [str(lfw.root)]
    epoch = time.time()
    command = [sys.executable, "-m", "tests.trust.kill_child", url, str(room.session_id),
               str(epoch), str(speed), *extra]
    rng = random.Random(9)
    # Kill moments between minute 12 and minute 55 of the session (simulated).
    moments = sorted(rng.uniform(12 * 60, 55 * 60) / speed for _ in range(KILLS))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    kills = 0
    for moment in moments:
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(max(0.3, epoch + moment - time.time()))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        kills += child.returncode == -signal.SIGKILL
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900,
                           check=False)
    assert final.returncode == 0, final.stderr[-3000:]
    wrong, missing, duplicates, sightings, keys = _outcome(session_factory, room, expected)
    with session_factory() as session:
        named = [(s.seen_at, s.student_id) for s in session.scalars(
            select(Sighting).where(Sighting.student_id.is_not(None)))]
    misnamed = sum(1 for at, student in named if student not in visible(at))
    print(f"\n[trust] SIGKILL (real processes, {models} models, clock x{speed:g}): {kills} "
          f"kill -9, then a clean run; attendance wrong {wrong}, missing {missing}, duplicate "
          f"rows {duplicates}; sightings stored {sightings} (naming someone not in the "
          f"picture {misnamed}), duplicate sightings {sightings - keys}")
    assert kills == KILLS
    assert (wrong, missing, duplicates) == (0, 0, 0)
    assert sightings == keys
    assert misnamed == 0
