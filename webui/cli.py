"""``attendance serve``: run the dashboard (waitress when installed, else werkzeug)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import click
from flask import Flask

from attendance import migrate
from attendance.cli_support import cli_settings, cli_template_cipher
from attendance.config import Settings
from attendance.db import make_engine
from attendance.errors import ConfigError
from attendance.worker import start_embedded

from .app import create_app
from .production import ensure_safe_to_serve

logger = logging.getLogger(__name__)

#: Threads serving requests; the dashboard is small and most time is spent in the database.
SERVER_THREADS = 8

#: Hook for running the camera worker next to the dashboard: called with the settings before
#: the server starts, it starts the worker and returns a function that stops it.
EmbeddedWorker = Callable[[Settings], Callable[[], None]]


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--worker/--no-worker", "with_worker", default=True, show_default=True,
    help="Also run the camera worker for every camera with a course, in this process.",
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
    cli_template_cipher(settings)  # a lost key file that data needs stops start-up
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


def _embedded_worker() -> EmbeddedWorker:
    """The embedded worker's starter: the one-machine default runs cameras in this process.

    A campus runs ``attendance worker --camera NAME`` per classroom instead (``--no-worker``).
    """
    return start_embedded


def run_server(
    app: Flask, *, host: str, port: int, worker: EmbeddedWorker | None, settings: Settings
) -> None:
    """Serve ``app`` until interrupted, with ``worker`` running alongside when given."""
    stop_worker: Callable[[], None] | None = None
    if worker is not None:
        stop_worker = worker(settings)
    else:
        logger.info("no camera worker in this process; run 'attendance worker' for cameras")
    try:
        _serve_wsgi(app, host, port)
    finally:
        if stop_worker is not None:
            stop_worker()


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
