"""``attendance serve``: run the dashboard (waitress when installed, else werkzeug)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

import click
from flask import Flask

from attendance import migrate
from attendance.cli_support import cli_settings
from attendance.config import Settings
from attendance.db import make_engine
from attendance.errors import ConfigError
from attendance.worker import start_worker_processes

from .app import create_app
from .production import ensure_safe_to_serve
from .workers import WORKERS_KEY, RunningWorkers

logger = logging.getLogger(__name__)

#: Threads serving requests; the dashboard is small and most time is spent in the database.
SERVER_THREADS = 8

#: Hook for running the camera workers next to the dashboard: called with the settings before
#: the server starts, it starts them and returns them (stopped when the server stops).
WorkerStarter = Callable[[Settings], RunningWorkers]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--worker/--no-worker", "with_worker", default=True, show_default=True,
    help="Also run a camera worker process for every camera with a course (supervised: "
         "restarted if it dies, stopped with the server).",
)
def serve(host: str, port: int, with_worker: bool) -> None:
    """Run the teacher dashboard."""
    settings = cli_settings()
    _require_migrated(settings)
    app = create_app(settings)
    try:
        ensure_safe_to_serve(app, settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    run_server(app, host=host, port=port,
               worker=_embedded_worker() if with_worker else None, settings=settings)


def _require_migrated(settings: Settings) -> None:
    """Refuse to start on a database whose schema is missing or older than the code."""
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if current != migrate.head_revision(url):
        raise click.ClickException(
            f"the database is at revision {current or 'none (empty)'}, not the newest; "
            "run: attendance db upgrade"
        )


def _embedded_worker() -> WorkerStarter:
    """The worker starter of the one-machine default: a supervised child process per camera.

    A campus runs ``attendance worker --camera NAME`` per classroom instead (``--no-worker``).
    """
    return start_worker_processes


def run_server(
    app: Flask, *, host: str, port: int, worker: WorkerStarter | None, settings: Settings
) -> None:
    """Serve ``app`` until interrupted (Ctrl-C or SIGTERM), with the camera worker processes
    ``worker`` starts running alongside when given; they are stopped with the server."""
    workers: RunningWorkers | None = None
    if worker is not None:
        workers = worker(settings)
        app.extensions[WORKERS_KEY] = workers
    else:
        logger.info("no camera worker started; run 'attendance worker' for each camera")
    try:
        with _sigterm_as_interrupt():
            _serve_wsgi(app, host, port)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        if workers is not None:
            workers.stop()


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (a service manager's stop) ends the server like Ctrl-C, so
    the worker processes are stopped too. Only the main thread can set signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve_wsgi(app: Flask, host: str, port: int) -> None:
    try:
        from waitress import serve as waitress_serve  # noqa: PLC0415  (optional dependency)
    except ImportError:
        from werkzeug.serving import run_simple  # noqa: PLC0415

        click.echo(f"Dashboard on http://{host}:{port}/ (werkzeug; install waitress to deploy)")
        run_simple(host, port, app, threaded=True)
        return
    click.echo(f"Dashboard on http://{host}:{port}/ (waitress)")
    waitress_serve(app, host=host, port=port, threads=SERVER_THREADS)
