"""APScheduler 3.x wiring: which capture and finalise jobs run, and when.

Jobs are module-level functions with explicit ids, one instance at a time, coalesced:

* ``refresh:<camera>`` every ``worker_refresh_seconds`` (and once at start): materialises the
  sessions of the camera's courses for today and tomorrow, then (re)schedules their jobs, so
  new or moved courses and sessions are picked up without a restart;
* ``capture:<session id>`` every ``capture_interval_seconds`` from start - grace to end;
  a capture that misses its slot by more than one interval is skipped, not queued;
* ``finalize:<session id>`` once at the session's end (sessions that ended while the worker
  was down, within :data:`FINALIZE_LOOKBACK`, are finalised by the next refresh).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import ClassSession, Course
from ..services.retention import purge_expired
from ..services.schedule import materialize_sessions
from .camera_worker import CameraWorker
from .thumbnails import purge

logger = logging.getLogger(__name__)

#: How far back an unfinalised, ended session is still finalised by a refresh.
FINALIZE_LOOKBACK = timedelta(days=1)
#: Seconds a late finalise job may still run.
FINALIZE_GRACE_S = 6 * 3600
#: The daily retention purge: its job id, and how late it may still run, seconds.
PURGE_JOB_ID = "retention-purge"
PURGE_GRACE_S = 12 * 3600

#: Per scheduler: session id -> (camera, start, end) of the jobs scheduled for it.
_Scheduled = dict[int, tuple[str, datetime, datetime]]


def build_scheduler(
    settings: Settings,
    workers: Sequence[CameraWorker],
    *,
    background: bool = False,
) -> BaseScheduler:
    """A scheduler with a refresh job per camera worker (first run immediately).

    ``background`` gives a :class:`BackgroundScheduler` (tests drive one from their thread)
    instead of the :class:`BlockingScheduler` of ``attendance worker``. Not started.
    """
    defaults = {"max_instances": 1, "coalesce": True,
                "misfire_grace_time": max(1, int(settings.capture_interval_seconds))}
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler: BaseScheduler = cls(timezone=UTC, job_defaults=defaults)
    scheduler.add_listener(_on_job_error, EVENT_JOB_ERROR)
    scheduled: _Scheduled = {}
    for worker in workers:
        add_refresh_job(scheduler, worker, scheduled)
    if workers:
        add_purge_job(scheduler, settings, workers[0].session_factory)
    return scheduler


def add_purge_job(scheduler: BaseScheduler, settings: Settings,
                  session_factory: Callable[[], Session]) -> None:
    """Schedule the daily retention purge (first run a minute after start, then every 24 h)."""
    scheduler.add_job(
        purge_job, "interval", hours=24, args=[settings, session_factory],
        id=PURGE_JOB_ID, name="retention purge",
        next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        replace_existing=True, misfire_grace_time=PURGE_GRACE_S,
    )


def purge_job(settings: Settings, session_factory: Callable[[], Session]) -> None:
    """Enforce the retention schedule (``attendance.services.retention``) in one transaction."""
    with session_factory() as session, session.begin():
        purge_expired(session, settings, datetime.now(UTC))


def add_refresh_job(
    scheduler: BaseScheduler, worker: CameraWorker, scheduled: _Scheduled | None = None
) -> None:
    """Schedule the refresh job of ``worker`` (first run now)."""
    scheduler.add_job(
        refresh_job,
        "interval",
        seconds=worker.settings.worker_refresh_seconds,
        args=[scheduler, worker, {} if scheduled is None else scheduled],
        id=f"refresh:{worker.camera_name}",
        name=f"refresh sessions of camera {worker.camera_name}",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
        misfire_grace_time=max(1, int(worker.settings.worker_refresh_seconds)),
    )


def refresh_job(scheduler: BaseScheduler, worker: CameraWorker, scheduled: _Scheduled) -> None:
    """Bring the capture and finalise jobs of ``worker``'s camera in line with the DB."""
    now = worker.clock.now()
    settings = worker.settings
    grace = timedelta(minutes=settings.capture_grace_minutes)
    # Whole days past every retention; the daily purge job sorts out the kinds in between.
    purge(settings.instance_path, now.date(), settings.longest_thumbnail_retention_days)
    with worker.session_factory() as session, session.begin():
        if not worker.camera_unchanged(session):
            return  # the camera was changed or removed: the worker starts again (runner)
        course_ids = list(session.scalars(
            select(Course.id).where(Course.camera_id == worker.camera_id)
        ))
        today = now.date()
        for course_id in course_ids:
            materialize_sessions(session, course_id, today - timedelta(days=1),
                                 today + timedelta(days=1))
        # Courses with face recognition switched off get no capture jobs at all (their
        # sessions are still finalised below, which records no absences for them).
        upcoming = list(session.scalars(
            select(ClassSession).join(Course, Course.id == ClassSession.course_id).where(
                ClassSession.course_id.in_(course_ids),
                Course.face_recognition_enabled.is_(True),
                ClassSession.ends_at > now,
                ClassSession.starts_at <= now + timedelta(days=1) + grace,
            )
        )) if course_ids else []
        overdue = list(session.scalars(
            select(ClassSession.id).where(
                ClassSession.course_id.in_(course_ids),
                ClassSession.ends_at <= now,
                ClassSession.ends_at > now - FINALIZE_LOOKBACK,
                ClassSession.finalized_at.is_(None),
            )
        )) if course_ids else []
    wanted = {row.id: (worker.camera_name, row.starts_at, row.ends_at) for row in upcoming}
    for session_id, signature in wanted.items():
        if scheduled.get(session_id) != signature:
            _schedule_session(scheduler, worker, session_id, signature[1] - grace, signature[2])
            scheduled[session_id] = signature
    for session_id in [s for s, sig in scheduled.items() if sig[0] == worker.camera_name]:
        if session_id not in wanted:
            _unschedule_session(scheduler, session_id)
            del scheduled[session_id]
    for session_id in overdue:
        if scheduler.get_job(f"finalize:{session_id}") is None:
            worker.finalize(session_id)
    worker.heartbeat()


def capture_job(worker: CameraWorker, class_session_id: int) -> None:
    """One capture for one class session."""
    worker.tick(class_session_id)


def finalize_job(worker: CameraWorker, class_session_id: int) -> None:
    """Finalise a session at its end; an unreachable database raises so it is logged, and
    the next refresh tries again."""
    if worker.finalize(class_session_id) is None:
        raise RuntimeError(f"class session {class_session_id} not finalised: database down")


def _schedule_session(
    scheduler: BaseScheduler, worker: CameraWorker, session_id: int, start: datetime,
    end: datetime,
) -> None:
    now = worker.clock.now()
    logger.info("camera %s: session %d scheduled, capture %s to %s", worker.camera_name,
                session_id, start.isoformat(), end.isoformat())
    scheduler.add_job(
        capture_job, "interval", seconds=worker.settings.capture_interval_seconds,
        start_date=max(start, now), end_date=end, args=[worker, session_id],
        id=f"capture:{session_id}", name=f"capture session {session_id}",
        replace_existing=True,
    )
    scheduler.add_job(
        finalize_job, "date", run_date=max(end, now), args=[worker, session_id],
        id=f"finalize:{session_id}", name=f"finalize session {session_id}",
        replace_existing=True, misfire_grace_time=FINALIZE_GRACE_S,
    )


def _unschedule_session(scheduler: BaseScheduler, session_id: int) -> None:
    logger.info("session %d no longer scheduled here; its jobs are removed", session_id)
    for job_id in (f"capture:{session_id}", f"finalize:{session_id}"):
        if scheduler.get_job(job_id) is not None:
            scheduler.remove_job(job_id)


def _on_job_error(event: Any) -> None:
    assert isinstance(event, JobExecutionEvent)
    logger.error("job %s failed: %r\n%s", event.job_id, event.exception, event.traceback or "")


__all__ = ["build_scheduler", "capture_job", "finalize_job", "purge_job", "refresh_job"]
