"""Composition roots of the worker: the ``attendance worker`` process and the dashboard's
embedded worker thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import Embedder, load_embedders

from ..config import Settings
from ..db import Camera, Course, make_engine, make_session_factory
from ..services.cameras import verify_camera_token
from ..services.key_check import check_template_keys
from .camera_worker import CameraWorker
from .frames import Backoff
from .metrics import WorkerMetrics
from .scheduler import add_refresh_job, build_scheduler
from .spool import is_connection_error

logger = logging.getLogger(__name__)


def worker_engine(settings: Settings) -> Engine:
    """The worker's own engine: on SQLite it waits only ``worker_sqlite_busy_timeout_seconds``
    for a lock another program holds, so captures stay on time (sightings wait in the spool)."""
    return make_engine(settings, busy_timeout_s=settings.worker_sqlite_busy_timeout_seconds)


def run_worker(settings: Settings, camera_name: str, stop: threading.Event) -> None:
    """Run the worker of camera ``camera_name`` until ``stop`` is set (blocking).

    ``settings.worker_token`` must be the camera's current token (``attendance camera token``),
    checked against the database before anything else. Serves Prometheus metrics on
    127.0.0.1:``metrics_port`` when that is > 0. Raises ``NotFound`` when the camera does not
    exist, ``PermissionDenied`` for a missing or wrong token, and ``MissingTemplateKey`` when
    a template key file that stored data needs is missing (``attendance.services.key_check``).
    """
    engine = worker_engine(settings)
    metrics = WorkerMetrics()
    worker: CameraWorker | None = None
    try:
        factory = make_session_factory(engine)
        worker = _connect(settings, factory, camera_name, metrics, stop)
        if worker is None:
            return
        metrics.serve(settings.metrics_port)
        scheduler = build_scheduler(settings, [worker])
        watcher = threading.Thread(target=_stop_when_set, args=(scheduler, stop),
                                   name="worker-stop", daemon=True)
        watcher.start()
        logger.info("worker of camera %s started", camera_name)
        if not stop.is_set():
            scheduler.start()  # blocks until the watcher shuts it down
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
) -> CameraWorker | None:
    """Build the camera's worker, waiting out an unreachable database (capped backoff);
    None when ``stop`` is set first. A missing camera raises ``NotFound`` at once."""
    failures = 0
    while not stop.is_set():
        try:
            with factory() as session:
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


def run_embedded(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Start a worker for every camera that films a course, in a background thread.

    For ``attendance serve``: returns the (daemon) thread at once; set ``stop`` and join it
    to shut down. Cameras and courses added later are picked up within
    ``worker_refresh_seconds``. The models are loaded once and shared by all cameras.
    """
    thread = threading.Thread(target=_embedded_main, args=(settings, stop),
                              name="attendance-worker", daemon=True)
    thread.start()
    return thread


def start_embedded(settings: Settings, *, join_timeout_s: float = 30.0) -> Callable[[], None]:
    """Start :func:`run_embedded`; returns the function that stops it (waiting up to
    ``join_timeout_s`` seconds for the current frame to finish). Matches the
    ``webui.cli.EmbeddedWorker`` hook: ``stop_worker = start_embedded(settings)``."""
    stop = threading.Event()
    thread = run_embedded(settings, stop)

    def stop_worker() -> None:
        stop.set()
        thread.join(join_timeout_s)
        if thread.is_alive():
            logger.warning("embedded worker still busy after %g s; leaving it", join_timeout_s)

    return stop_worker


def _embedded_main(settings: Settings, stop: threading.Event) -> None:
    engine = worker_engine(settings)
    factory = make_session_factory(engine)
    metrics = WorkerMetrics()
    workers: dict[str, CameraWorker] = {}
    scheduler = build_scheduler(settings, [], background=True)
    embedders = load_embedders(settings.embedders, dlib_jitters=settings.dlib_jitters)
    try:
        metrics.serve(settings.metrics_port)
        scheduler.add_job(
            _discover_cameras, "interval", seconds=settings.worker_refresh_seconds,
            args=[settings, scheduler, factory, embedders, metrics, workers],
            id="discover-cameras", name="discover cameras with courses",
            next_run_time=_now(),
        )
        scheduler.start()
        stop.wait()
    except Exception:
        logger.exception("embedded worker failed")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        for worker in workers.values():
            worker.close()
        metrics.close()
        engine.dispose()


def _discover_cameras(
    settings: Settings,
    scheduler: BaseScheduler,
    factory: sessionmaker[Session],
    embedders: list[Embedder],
    metrics: WorkerMetrics,
    workers: dict[str, CameraWorker],
) -> None:
    with factory() as session:
        names = list(session.scalars(
            select(Camera.name).join(Course, Course.camera_id == Camera.id).distinct()
        ))
    for name in names:
        if name not in workers:
            workers[name] = CameraWorker.for_camera(settings, factory, name,
                                                    embedders=embedders, metrics=metrics)
            add_refresh_job(scheduler, workers[name])
            logger.info("embedded worker: camera %s added", name)


def _stop_when_set(scheduler: BaseScheduler, stop: threading.Event) -> None:
    stop.wait()
    if scheduler.running:
        scheduler.shutdown(wait=True)


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = ["run_embedded", "run_worker", "start_embedded", "worker_engine"]
