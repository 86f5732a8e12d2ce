"""``attendance bench speed``: enrollment, worker and matching times on this machine.

- enrollment: seconds per photo through the enrollment service (decode, quality, detect,
  embed with every model, duplicate check, store), one photo per student;
- worker: per-frame time of :class:`~attendance.worker.recognition.Recognizer.analyse`
  (the worker's detect / embed / match) plus writing the sightings through the worker's
  :class:`~attendance.worker.spool.SightingSpool`, for 1280x720 frames of 1, 10 and 30 faces;
- matching: per-query time of :func:`attendance.matching.identify` against galleries of
  random unit float32 vectors held in memory (pgvector is not configured here).

Each figure is the median of its repeats with the minimum and maximum.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from models import Embedder

from ..config import Settings
from ..matching import Gallery, identify, student_distances
from ..services.courses import create_course
from ..services.roster import add_to_roster
from ..services.schedule import create_adhoc_session
from ..worker.recognition import Recognizer
from ..worker.spool import PendingSighting, SightingSpool, new_dedupe_key
from .cohort import Person
from .enrolling import Enroll
from .observe import lfw_rgb
from .scenes import FaceSpec, Scene, compose_scene


@dataclass(frozen=True)
class Spread:
    """Median, minimum and maximum of ``n`` samples (seconds)."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    def ms(self, digits: int = 1) -> str:
        """``median (min-max)`` in milliseconds."""
        f = f"{{:.{digits}f}}"
        return (f"{f.format(self.median * 1e3)} ({f.format(self.low * 1e3)}-"
                f"{f.format(self.high * 1e3)})")


@dataclass(frozen=True)
class WorkerFigures:
    """One face count: faces pasted and found, and per-stage spreads (s per frame)."""

    faces: int
    found: int
    face_height: float
    stages: dict[str, Spread]
    total: Spread

    @property
    def faces_per_second(self) -> float:
        return self.found / self.total.median if self.total.median > 0 else float("nan")


@dataclass
class SpeedResult:
    enroll: Spread | None = None
    enroll_models: tuple[str, ...] = ()
    worker: list[WorkerFigures] = field(default_factory=list)
    matching: list[MatchingFigures] = field(default_factory=list)


def time_enrollment(
    people: Sequence[Person], settings: Settings, embedders: Sequence[Embedder],
    factory: sessionmaker[Session], enroll: Enroll,
) -> Spread:
    """Seconds per photo: one student per person, from their first photo. The first person
    is enrolled untimed, so loading the models is not counted."""
    samples = []
    for i, person in enumerate(people):
        photo = person.photos[0]
        with factory.begin() as session:
            started = time.perf_counter()
            enroll(session, settings, embedders, student_number=f"SPEED-{i}",
                   display_name=person.name, photos=[(photo.name, photo.read_bytes())])
            if i:
                samples.append(time.perf_counter() - started)
    return Spread.of(samples)


def speed_scene(people: Sequence[Person], count: int, seed: int) -> Scene:
    """A 1280x720 frame with ``count`` faces (the first photo of each), 60-100 px high."""
    rng = np.random.default_rng(seed)
    specs = [FaceSpec(lfw_rgb(p.photos[0]), float(rng.uniform(60, 100)), p.name)
             for p in people[:count]]
    return compose_scene(specs, rng)


def time_worker(
    people: Sequence[Person], counts: Sequence[int], repeats: int, settings: Settings,
    embedders: Sequence[Embedder], factory: sessionmaker[Session], start: datetime,
) -> list[WorkerFigures]:
    """Per face count: the worker's stages on one frame, ``repeats`` times. Every face is on
    the roster (enrolled from the same photo) so matching and writing do full work."""
    recognizer = Recognizer.from_settings(settings, embedders)
    versions = recognizer.model_versions
    results = []
    for count in counts:
        scene = speed_scene(people, count, seed=count)
        frame_bgr = np.ascontiguousarray(scene.frame[:, :, ::-1])
        class_session_id, galleries = _worker_course(
            recognizer, scene, factory, versions, count, start)
        spool = SightingSpool()
        samples: dict[str, list[float]] = {k: [] for k in ("detect", "embed", "match", "write")}
        found = 0
        for _ in range(repeats):
            analysis = recognizer.analyse(frame_bgr, galleries)
            found = len(analysis.faces)
            for face in analysis.faces:
                spool.add(PendingSighting(class_session_id, face.student_id, start, face.box,
                                          face.evidence, None, new_dedupe_key()))
            began = time.perf_counter()
            spool.flush(factory, min_sightings=settings.min_sightings)
            analysis.times.write = time.perf_counter() - began
            for stage in samples:
                samples[stage].append(getattr(analysis.times, stage))
        totals = [sum(samples[s][i] for s in samples) for i in range(repeats)]
        heights = [f.height for f in scene.faces]
        results.append(WorkerFigures(count, found, float(np.median(heights)),
                                     {k: Spread.of(v) for k, v in samples.items()},
                                     Spread.of(totals)))
    return results


def _worker_course(
    recognizer: Recognizer, scene: Scene, factory: sessionmaker[Session],
    versions: dict[str, str], count: int, start: datetime,
) -> tuple[int, dict[str, Gallery]]:
    """A course whose roster is one student per face found in ``scene``, with those faces'
    embeddings as the in-memory gallery (what the worker's gallery cache would hold)."""
    from ..db import Consent, Student  # noqa: PLC0415
    from ..detection import face_inputs  # noqa: PLC0415

    faces = recognizer.detector(scene.frame)
    inputs = face_inputs(scene.frame, faces)
    with factory.begin() as session:
        course = create_course(session, code=f"SPEED-{count}", name="speed", timezone="UTC")
        students = [Student(student_number=f"SPEED-{count}-{i}", display_name=f"face {i}")
                    for i in range(len(inputs))]
        session.add_all(students)
        session.flush()
        # Consent, so that sightings are written (and counted) as in a real class.
        session.add_all(Consent(student_id=s.id, given_by="benchmark", relation="student",
                                notice_version="bench", recorded_by="benchmark")
                        for s in students)
        ids = np.asarray([s.id for s in students], dtype=np.int64)
        add_to_roster(session, course.id, student_ids=[int(i) for i in ids])
        row = create_adhoc_session(session, course_id=course.id, starts_at=start,
                                   ends_at=start + timedelta(hours=1))
        class_session_id = row.id
    galleries = {e.name: Gallery(e.name, versions[e.name], e.dimension, e.embed(inputs), ids)
                 for e in recognizer.embedders}
    return class_session_id, galleries


@dataclass(frozen=True)
class MatchingFigures:
    """One gallery size: seconds per single-face query and per face in a batch of 30, and
    the single query split into distances (matrix product and per-student minimum) and
    ranking (sorting every student by distance)."""

    size: int
    single: Spread
    batch: Spread
    distances: Spread
    ranking: Spread


def time_matching(
    sizes: Sequence[int], repeats: int, seed: int = 0, dimension: int = 128,
    clock: Callable[[], float] = time.perf_counter,
) -> list[MatchingFigures]:
    """Time :func:`identify` per gallery size; vectors are random unit float32, one per
    student. Galleries over 100,000 vectors get a quarter of the ``repeats`` (at least 3):
    one batch of 30 against a million vectors takes seconds."""
    rng = np.random.default_rng(seed)
    results = []
    for size in sizes:
        vectors = _unit(rng.standard_normal((size, dimension), dtype=np.float32))
        gallery = Gallery("random", "v", dimension, vectors, np.arange(size, dtype=np.int64))
        del vectors
        count = repeats if size <= 100_000 else max(3, repeats // 4)
        queries = _unit(rng.standard_normal((count, 30, dimension), dtype=np.float32))
        samples: dict[str, list[float]] = {k: [] for k in ("single", "batch", "dist", "rank")}
        identify(gallery, queries[0, :1], 0.5)  # warm-up (allocations, BLAS threads)
        for r in range(count):
            began = clock()
            identify(gallery, queries[r, :1], 0.5)
            samples["single"].append(clock() - began)
            began = clock()
            identify(gallery, queries[r], 0.5)
            samples["batch"].append((clock() - began) / 30)
            began = clock()
            distances = student_distances(gallery, queries[r, :1])
            samples["dist"].append(clock() - began)
            began = clock()
            np.argpartition(distances, 1, axis=1)  # as identify ranks: the nearest two
            samples["rank"].append(clock() - began)
        results.append(MatchingFigures(size, *(Spread.of(samples[k]) for k in samples)))
        del gallery
    return results


def _unit(x: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    result: NDArray[np.float32] = (x / norms).astype(np.float32)
    return result


__all__ = [
    "MatchingFigures",
    "SpeedResult",
    "Spread",
    "WorkerFigures",
    "speed_scene",
    "time_enrollment",
    "time_matching",
    "time_worker",
]
