"""Run one class session end to end with a plain loop: the scheduler-free way to drive it.

:func:`run_class_session` captures every ``interval`` seconds from the session's start minus
the grace period until its end, then finalises the session (absent for everyone never
confirmed). With a :class:`~attendance.worker.clock.FakeClock` a whole session runs in the
time its frames take to process, which is how the tests drive it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from .camera_worker import CameraWorker

logger = logging.getLogger(__name__)

#: Seconds between attempts to finalise when the database is unreachable at the end.
FINALIZE_RETRY_S = 10.0


@dataclass
class RunSummary:
    """What a run did: ticks attempted, frames processed, faces and recognised faces,
    and absences created at finalisation (None when not finalised, e.g. stopped early)."""

    ticks: int = 0
    frames: int = 0
    faces: int = 0
    matched: int = 0
    absences: int | None = None


def run_class_session(
    worker: CameraWorker,
    class_session_id: int,
    *,
    stop: threading.Event | None = None,
    interval_s: float | None = None,
    max_ticks: int | None = None,
    finalize: bool = True,
    finalize_attempts: int = 30,
) -> RunSummary:
    """Capture for ``class_session_id`` until it ends (or ``stop`` is set, or ``max_ticks``
    ticks were made), then finalise it when ``finalize`` is true and it has ended.

    ``interval_s`` defaults to ``settings.capture_interval_seconds``; the worker's clock is
    used for all waiting, so a fake clock makes the run instantaneous. Started after the
    session's start, capture simply begins now (a restarted worker resumes this way).
    """
    stop = stop or threading.Event()
    clock = worker.clock
    interval = interval_s if interval_s is not None else worker.settings.capture_interval_seconds
    capture_from, ends_at = worker.session_window(class_session_id)
    summary = RunSummary()
    while not stop.is_set():
        now = clock.now()
        if now >= ends_at or (max_ticks is not None and summary.ticks >= max_ticks):
            break
        if now < capture_from:
            if clock.wait((capture_from - now).total_seconds(), stop):
                break
            continue
        report = worker.tick(class_session_id)
        summary.ticks += 1
        summary.frames += report.frame
        summary.faces += report.faces
        summary.matched += report.matched
        remaining = interval - (clock.now() - now).total_seconds()
        if remaining > 0 and clock.wait(remaining, stop):
            break
    if finalize and not stop.is_set() and clock.now() >= ends_at:
        for _ in range(max(1, finalize_attempts)):
            summary.absences = worker.finalize(class_session_id)
            if summary.absences is not None or clock.wait(FINALIZE_RETRY_S, stop):
                break
    logger.info("class session %d: %s", class_session_id, summary)
    return summary


__all__ = ["RunSummary", "run_class_session"]
