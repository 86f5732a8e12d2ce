"""Composition roots of the worker: the ``attendance worker`` process, and the supervised
worker processes ``attendance serve`` starts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..db import Camera, Course, make_engine, make_session_factory
from ..services.cameras import verify_camera_token
from ..services.key_check import check_template_keys
from .camera_worker import CameraWorker
from .frames import Backoff
from .metrics import WorkerMetrics
from .scheduler import build_scheduler
from .spool import is_connection_error
from .supervisor import WorkerSupervisor

logger = logging.getLogger(__name__)

#: Seconds between the stop watcher's looks at "the camera changed".
_WATCH_S = 0.5


def worker_engine(settings: Settings) -> Engine:
    """The worker's own engine: on SQLite it waits only ``worker_sqlite_busy_timeout_seconds``
    for a lock another program holds, so captures stay on time (sightings wait in the spool)."""
    return make_engine(settings, busy_timeout_s=settings.worker_sqlite_busy_timeout_seconds)


def run_worker(settings: Settings, camera_name: str, stop: threading.Event, *,
               verify_token: bool = True) -> bool:
    """Run the worker of camera ``camera_name`` until ``stop`` is set (blocking), or until
    the camera is changed or removed in the database: then it returns True, so the process
    can start again with the camera as it is (False otherwise).

    ``settings.worker_token`` must be the camera's current token (``attendance camera token``),
    checked against the database before anything else (unless ``verify_token`` is False: a
    child process of ``attendance serve``, see ``supervisor``). Serves Prometheus metrics on
    127.0.0.1:``metrics_port`` when that is > 0. Raises ``NotFound`` when the camera does not
    exist, ``PermissionDenied`` for a missing or wrong token, and ``MissingTemplateKey`` when
    a template key file that stored data needs is missing (``attendance.services.key_check``).
    """
    engine = worker_engine(settings)
    metrics = WorkerMetrics()
    worker: CameraWorker | None = None
    try:
        factory = make_session_factory(engine)
        worker = _connect(settings, factory, camera_name, metrics, stop, verify_token)
        if worker is None:
            return False
        metrics.serve(settings.metrics_port)
        scheduler = build_scheduler(settings, [worker])
        watcher = threading.Thread(target=_stop_when_set,
                                   args=(scheduler, stop, worker.outdated),
                                   name="worker-stop", daemon=True)
        watcher.start()
        logger.info("worker of camera %s started", camera_name)
        if not stop.is_set():
            scheduler.start()  # blocks until the watcher shuts it down
        return worker.outdated.is_set()
    finally:
        if worker is not None:
            worker.close()
        metrics.close()
        engine.dispose()
        logger.info("worker of camera %s stopped", camera_name)


def _connect(
    settings: Settings,
    factory: sessionmaker[Session],
    camera_name: str,
    metrics: WorkerMetrics,
    stop: threading.Event,
    verify_token: bool = True,
) -> CameraWorker | None:
    """Build the camera's worker, waiting out an unreachable database (capped backoff);
    None when ``stop`` is set first. A missing camera raises ``NotFound`` at once."""
    failures = 0
    while not stop.is_set():
        try:
            with factory() as session:
                if verify_token:
                    verify_camera_token(session, camera_name, settings.worker_token)
                check_template_keys(session, settings)
            return CameraWorker.for_camera(settings, factory, camera_name, metrics=metrics)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            failures += 1
            delay = Backoff(1.0, settings.camera_backoff_max_seconds).delay(failures)
            logger.warning("database unreachable at start (%s); retrying in %g s", exc, delay)
            stop.wait(delay)
    return None


def start_worker_processes(
    settings: Settings, *, env: Mapping[str, str] | None = None
) -> WorkerSupervisor:
    """Start one supervised worker process per camera that films a course (``attendance
    serve``'s default); cameras added later are picked up within ``worker_refresh_seconds``.
    Call ``stop()`` on the result to stop them all.

    The children load their settings as this process did (from ``env``, default this
    process's environment, and the configuration file it names)."""
    engine = make_engine(settings)
    factory = make_session_factory(engine, read_only=True)

    def discover() -> list[str]:
        with factory() as session:
            return list(session.scalars(
                select(Camera.name).join(Course, Course.camera_id == Camera.id).distinct()))

    supervisor = WorkerSupervisor(
        discover, refresh_s=settings.worker_refresh_seconds,
        backoff=Backoff(1.0, settings.camera_backoff_max_seconds), on_stop=engine.dispose,
        env=env,
    )
    supervisor.start()
    return supervisor


def _stop_when_set(scheduler: BaseScheduler, stop: threading.Event,
                   outdated: threading.Event) -> None:
    while not stop.wait(_WATCH_S) and not outdated.is_set():
        pass
    if scheduler.running:
        scheduler.shutdown(wait=True)


__all__ = ["run_worker", "start_worker_processes", "worker_engine"]
