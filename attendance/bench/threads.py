"""``attendance bench threads``: dlib's models under a web server's thread pool.

Each job is what the enrollment form does to one photo with the models: detect the face (HOG),
find its landmarks and embed it with dlib. ``threads`` jobs run at once on a thread pool, as
waitress's request threads would, first with one shared set of models behind a lock per model
(``lock``), then with a set of models per thread (``per-thread``); see
``models.dlib_models``. Every strategy must give the very embeddings a single thread gives.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.dlib_models import STRATEGIES, Strategy, dlib_models, use_strategy

from .observe import lfw_rgb


@dataclass(frozen=True)
class ThreadRun:
    """One strategy's run: ``jobs`` photos on ``threads`` threads."""

    strategy: str
    threads: int
    jobs: int
    seconds: float
    latencies: tuple[float, ...]
    rss_growth_mb: float
    #: Largest difference from the single-thread embeddings (0.0: identical).
    max_difference: float

    @property
    def per_second(self) -> float:
        return self.jobs / self.seconds

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the per-photo latency, seconds."""
        return float(np.percentile(self.latencies, q))


def _rss_mb() -> float:
    """Resident memory of this process, MiB (Linux; 0.0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _embed_photo(image: NDArray[np.uint8]) -> tuple[NDArray[np.float32], float]:
    """(embedding of the largest face or zeros, seconds taken) with the current strategy."""
    started = time.perf_counter()
    models = dlib_models()
    boxes = models.detect(image, model="hog", upsample=1)
    if not boxes:
        return np.zeros(128, dtype=np.float32), time.perf_counter() - started
    box = max(boxes, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
    vector = models.encode(image, [box])[0]
    return vector, time.perf_counter() - started


def _warm_up(barrier: threading.Barrier, image: NDArray[np.uint8]) -> None:
    barrier.wait()
    _embed_photo(image)


def load_photos(paths: Sequence[Path]) -> list[NDArray[np.uint8]]:
    """The photos as contiguous RGB arrays."""
    return [np.ascontiguousarray(lfw_rgb(p)) for p in paths]


def run_threads(photos: Sequence[NDArray[np.uint8]], *, threads: int,
                strategies: Sequence[Strategy] = STRATEGIES) -> list[ThreadRun]:
    """Embed ``photos`` once on one thread (the reference), then on ``threads`` threads per
    strategy; returns one :class:`ThreadRun` per strategy."""
    use_strategy("lock")
    reference = [_embed_photo(p)[0] for p in photos]
    runs = []
    for strategy in strategies:
        use_strategy(strategy)
        before = _rss_mb()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench") as pool:
            # A server's threads live long: every thread loads its models before the clock
            # starts (one warm-up photo each, all at once, so each thread takes exactly one).
            barrier = threading.Barrier(threads)
            list(pool.map(_warm_up, [barrier] * threads, [photos[0]] * threads))
            started = time.perf_counter()
            results = list(pool.map(_embed_photo, photos))
            seconds = time.perf_counter() - started
        growth = _rss_mb() - before
        difference = max(float(np.abs(v - r).max()) for (v, _), r in zip(results, reference,
                                                                          strict=True))
        runs.append(ThreadRun(strategy, threads, len(photos), seconds,
                              tuple(t for _, t in results), growth, difference))
    use_strategy("lock")
    return runs


def threads_markdown(runs: Sequence[ThreadRun], *, command: str, date: str,
                     cpus: int | None) -> str:
    """The report: one row per strategy."""
    lines = [
        "## dlib under the web server's thread pool",
        "",
        f"`{command}` ({date}, {cpus or '?'} CPU cores). Each job detects (HOG), finds the "
        "landmarks of and embeds one LFW photo with dlib, as the enrollment form does; all "
        "jobs are submitted at once to the thread pool.",
        "",
        "| strategy | threads | photos | photos/s | latency p50 | latency p95 | memory added "
        "| max difference from one thread |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.strategy} | {r.threads} | {r.jobs} | {r.per_second:.2f} | "
            f"{r.percentile(50) * 1e3:.0f} ms | {r.percentile(95) * 1e3:.0f} ms | "
            f"{r.rss_growth_mb:.0f} MiB | {r.max_difference:.1e} |")
    best = max(runs, key=lambda r: r.per_second)
    lines += ["", f"Fastest: {best.strategy} "
              f"({statistics.mean(r.per_second for r in runs if r is best):.2f} photos/s)."]
    return "\n".join(lines) + "\n"


__all__ = ["ThreadRun", "load_photos", "run_threads", "threads_markdown"]
