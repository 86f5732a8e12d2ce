"""The worker's part of ``attendance bench speed``: a cold frame, then the steady state.

A *case* is a sequence of frames of the same people in the same places: frame 0 is the
cold frame (nobody identified yet), the frames after it show the same people seated, each
face moved a little (:func:`.seating.moved`'s few per cent) and with the same photo, as a
fixed camera sees a class a few seconds later. Every case runs with the face tracker off
(every face embedded in every frame) and on (``track_faces``, :mod:`attendance.worker.
tracking`), alternately, ``repeats`` times; each run writes its sightings into a class
session of its own through the worker's :class:`~attendance.worker.spool.SightingSpool`.

Per run and stage: the cold frame's seconds, and the median over the frames after it (the
steady state). Figures are the median over runs, with the minimum and maximum.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from models import Embedder

from ..config import Settings
from ..matching import Gallery
from ..services.courses import create_course
from ..services.roster import add_to_roster
from ..services.schedule import create_adhoc_session
from ..worker.recognition import Recognizer
from ..worker.spool import PendingSighting, SightingSpool, new_dedupe_key
from ..worker.tracking import FaceTracker, TrackingPolicy
from .cohort import Person
from .observe import lfw_rgb
from .scenes import FaceSpec, Scene, compose_at, compose_scene
from .seating import ROOM_SIZE, Seat, classroom_seats, moved
from .speed import Spread

STAGES = ("detect", "embed", "match", "write")


@dataclass(frozen=True)
class Case:
    """Frames of one face count in one room: ``label`` names the room (frame size)."""

    label: str
    faces: int
    scenes: tuple[Scene, ...]


@dataclass(frozen=True)
class ModeFigures:
    """One case with the tracker off or on: the cold frame and the steady state (seconds
    per frame, total and by stage), and the faces embedded per steady frame (median and
    mean: with the tracker the second frame still embeds every face)."""

    tracking: bool
    cold: Spread
    cold_stages: dict[str, Spread]
    steady: Spread
    steady_stages: dict[str, Spread]
    embedded: float
    embedded_mean: float


@dataclass(frozen=True)
class WorkerFigures:
    """One case: faces pasted and found (first frame), their median height (px), frames
    per run, and the figures per mode (off, on)."""

    label: str
    faces: int
    found: int
    face_height: float
    frames: int
    modes: tuple[ModeFigures, ...]

    def mode(self, tracking: bool) -> ModeFigures | None:
        return next((m for m in self.modes if m.tracking == tracking), None)


def steady_scenes(people: Sequence[Person], count: int, frames: int, seed: int) -> Case:
    """A 1280x720 frame of ``count`` faces 60-100 px high (the first photo of each, placed
    by :func:`.scenes.compose_scene`), then ``frames - 1`` frames of them moved a little."""
    rng = np.random.default_rng(seed)
    specs = [FaceSpec(lfw_rgb(p.photos[0]), float(rng.uniform(60, 100)), p.name)
             for p in people[:count]]
    layout = compose_scene(specs, np.random.default_rng(seed)).faces
    by_label = {f.label: f.box for f in layout}
    seats = [Seat(i, 0, (by_label[s.label][1] + by_label[s.label][3]) / 2,
                  (by_label[s.label][0] + by_label[s.label][2]) / 2,
                  float(by_label[s.label][2] - by_label[s.label][0]))
             for i, s in enumerate(specs)]
    return Case("1280x720", count, _frames(specs, seats, frames, rng, (1280, 720)))


def seated_scenes(people: Sequence[Person], count: int, frames: int, seed: int) -> Case:
    """The 1920x1080 seated room of :mod:`.seating` with ``count`` of its seats taken (back
    row faces 30-60 px high), then ``frames - 1`` frames of them moved a little."""
    rng = np.random.default_rng(seed)
    seats = list(classroom_seats(rng))
    if count > len(seats):
        raise ValueError(f"the seated room has {len(seats)} seats, not {count}")
    taken = [seats[int(i)] for i in sorted(rng.choice(len(seats), size=count, replace=False))]
    specs = [FaceSpec(lfw_rgb(p.photos[0]), s.face_height, p.name)
             for p, s in zip(people, taken, strict=False)]
    return Case("1920x1080 seated", count, _frames(specs, taken, frames, rng, ROOM_SIZE))


def _frames(specs: Sequence[FaceSpec], seats: Sequence[Seat], frames: int,
            rng: np.random.Generator, size: tuple[int, int]) -> tuple[Scene, ...]:
    room = int(rng.integers(2**31))
    scenes = []
    for f in range(frames):
        placed = []
        for spec, seat in zip(specs, seats, strict=True):
            x, y, height = (seat.x, seat.y, seat.face_height) if f == 0 else moved(seat, rng)
            placed.append((FaceSpec(spec.image, height, spec.label), x, y))
        scenes.append(compose_at(placed, rng, size, background=np.random.default_rng(room)))
    return tuple(scenes)


def time_worker(
    cases: Sequence[Case], repeats: int, settings: Settings, embedders: Sequence[Embedder],
    factory: sessionmaker[Session], start: datetime,
) -> list[WorkerFigures]:
    """Per case: the worker's stages on each frame, tracker off and on, ``repeats`` runs
    each (alternating which goes first). Everyone is on the roster (enrolled from the cold
    frame), so matching and writing do full work."""
    recognizer = Recognizer.from_settings(settings, embedders)
    policy = TrackingPolicy.from_settings(settings)
    interval = timedelta(seconds=settings.capture_interval_seconds)
    results = []
    for n, case in enumerate(cases):
        first = case.scenes[0]
        galleries, roster = _roster(recognizer, first, factory, f"SPEED-{n}")
        runs: dict[bool, list[list[dict[str, float]]]] = {False: [], True: []}
        embedded: dict[bool, list[int]] = {False: [], True: []}
        found = 0
        for r in range(repeats):
            for tracking in ((False, True) if r % 2 == 0 else (True, False)):
                starts_at = start + timedelta(days=len(runs[False]) + len(runs[True]))
                session_id = _class_session(factory, roster, starts_at)
                tracker = FaceTracker(policy) if tracking else None
                frames = []
                for f, scene in enumerate(case.scenes):
                    seen_at = starts_at + f * interval
                    times, count, faces = _one_frame(recognizer, scene, galleries, tracker,
                                                     seen_at, factory, session_id, settings)
                    frames.append(times)
                    found = faces if f == 0 else found
                    if f:
                        embedded[tracking].append(count)
                runs[tracking].append(frames)
        heights = [f.height for f in first.faces]
        modes = tuple(_mode(tracking, runs[tracking], embedded[tracking])
                      for tracking in (False, True))
        results.append(WorkerFigures(case.label, case.faces, found, float(np.median(heights)),
                                     len(case.scenes), modes))
    return results


def _one_frame(
    recognizer: Recognizer, scene: Scene, galleries: dict[str, Gallery],
    tracker: FaceTracker | None, seen_at: datetime, factory: sessionmaker[Session],
    class_session_id: int, settings: Settings,
) -> tuple[dict[str, float], int, int]:
    """One tick's work on ``scene``: (seconds by stage and total, faces embedded, found)."""
    frame_bgr = np.ascontiguousarray(scene.frame[:, :, ::-1])
    analysis = recognizer.analyse(frame_bgr, galleries, tracker=tracker, seen_at=seen_at)
    spool = SightingSpool()
    for face in analysis.faces:
        spool.add(PendingSighting(class_session_id, face.student_id, seen_at, face.box,
                                  face.evidence, None, new_dedupe_key()))
    began = time.perf_counter()
    spool.flush(factory, min_sightings=settings.min_sightings)
    analysis.times.write = time.perf_counter() - began
    times = {stage: float(getattr(analysis.times, stage)) for stage in STAGES}
    times["total"] = sum(times.values())
    return times, analysis.embedded, len(analysis.faces)


def _mode(tracking: bool, runs: list[list[dict[str, float]]],
          embedded: list[int]) -> ModeFigures:
    keys = (*STAGES, "total")
    cold = {k: Spread.of([run[0][k] for run in runs]) for k in keys}
    steady = {k: Spread.of([statistics.median(frame[k] for frame in run[1:]) if run[1:]
                            else float("nan") for run in runs]) for k in keys}
    return ModeFigures(tracking, cold["total"], {k: cold[k] for k in STAGES},
                       steady["total"], {k: steady[k] for k in STAGES},
                       statistics.median(embedded) if embedded else float("nan"),
                       statistics.mean(embedded) if embedded else float("nan"))


def _roster(recognizer: Recognizer, scene: Scene, factory: sessionmaker[Session],
            code: str) -> tuple[dict[str, Gallery], tuple[int, list[int]]]:
    """A course whose roster is one student per face found in ``scene``, with those faces'
    embeddings as the in-memory gallery (what the worker's gallery cache would hold);
    returns the galleries and (course id, student ids)."""
    from ..db import Consent, Student  # noqa: PLC0415
    from ..detection import face_inputs  # noqa: PLC0415

    faces = recognizer.detector(scene.frame)
    inputs = face_inputs(scene.frame, faces)
    with factory.begin() as session:
        course = create_course(session, code=code, name="speed", timezone="UTC")
        students = [Student(student_number=f"{code}-{i}", display_name=f"face {i}")
                    for i in range(len(inputs))]
        session.add_all(students)
        session.flush()
        # Consent, so that sightings are written (and counted) as in a real class.
        session.add_all(Consent(student_id=s.id, given_by="benchmark", relation="student",
                                notice_version="bench", recorded_by="benchmark")
                        for s in students)
        ids = [int(s.id) for s in students]
        add_to_roster(session, course.id, student_ids=ids)
        course_id = course.id
    versions = recognizer.model_versions
    galleries = {e.name: Gallery(e.name, versions[e.name], e.dimension, e.embed(inputs),
                                 np.asarray(ids, dtype=np.int64))
                 for e in recognizer.embedders}
    return galleries, (course_id, ids)


def _class_session(factory: sessionmaker[Session], roster: tuple[int, list[int]],
                   starts_at: datetime) -> int:
    with factory.begin() as session:
        row = create_adhoc_session(session, course_id=roster[0], starts_at=starts_at,
                                   ends_at=starts_at + timedelta(hours=1))
        return row.id


__all__ = ["Case", "ModeFigures", "WorkerFigures", "seated_scenes", "steady_scenes",
           "time_worker"]
