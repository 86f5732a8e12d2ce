"""``attendance bench speed``: enrollment, worker and matching times on this machine.

- enrollment: seconds per photo through the enrollment service (decode, quality, detect,
  embed with every model, duplicate check, store), one photo per student;
- worker: per-frame time of :class:`~attendance.worker.recognition.Recognizer.analyse`
  (the worker's detect / embed / match) plus writing the sightings through the worker's
  :class:`~attendance.worker.spool.SightingSpool`, on a cold frame and in the steady state,
  with the face tracker off and on (:mod:`.speed_worker`);
- matching: per-query time of :func:`attendance.matching.identify` against galleries of
  random unit float32 vectors held in memory (pgvector is not configured here).

Each figure is the median of its repeats with the minimum and maximum.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from models import Embedder

from ..config import Settings
from ..matching import Gallery, identify, student_distances
from .cohort import Person
from .enrolling import Enroll

if TYPE_CHECKING:  # speed_worker imports Spread from here
    from .speed_worker import WorkerFigures


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


@dataclass
class SpeedResult:
    enroll: Spread | None = None
    enroll_models: tuple[str, ...] = ()
    #: The worker's cold and steady-state frames (:mod:`.speed_worker`).
    worker: list[WorkerFigures] = field(default_factory=list)
    matching: list[MatchingFigures] = field(default_factory=list)
    #: Seconds between captures the worker was configured with.
    interval_s: float = 5.0
    #: The machine's load average (1, 5, 15 minutes) when the run began and ended.
    load_before: str = "n/a"
    load_after: str = "n/a"


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
    "time_enrollment",
    "time_matching",
]
