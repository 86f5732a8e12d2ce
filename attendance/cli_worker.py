"""``attendance worker --camera NAME``: the classroom camera worker process."""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from .cli_support import cli_settings, domain_errors_as_click
from .worker import run_worker
from .worker.process import CameraLock, lower_priority

#: Exit status when the camera changed under the worker (EX_TEMPFAIL: start it again).
EXIT_CAMERA_CHANGED = 75


@click.command("worker")
@click.option("--camera", "camera_name", required=True,
              help="Name of the camera (see 'attendance camera list') this worker films.")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the camera's worker token (else ATTENDANCE_WORKER_TOKEN).")
@click.option("--supervised-by", type=click.IntRange(1), hidden=True,
              help="Pid of the 'attendance serve' that started this worker (no token then).")
@domain_errors_as_click
def worker(camera_name: str, token_file: Path | None, supervised_by: int | None) -> None:
    """Capture and recognise faces during every class session held at CAMERA's room.

    Runs until interrupted (Ctrl-C or SIGTERM); sessions added or moved in the dashboard
    are picked up within ``worker_refresh_seconds``. The camera's token (printed by
    'attendance camera token NAME') is required and checked against the database at start.
    """
    settings = cli_settings()
    if token_file is not None:
        settings = dataclasses.replace(
            settings, worker_token=token_file.read_text(encoding="utf-8").strip()
        )
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(f"Signal {signum}: stopping after the current frame...", err=True)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    niceness = lower_priority(settings.worker_nice)
    with CameraLock(settings.instance_path, camera_name,
                    supervisor_pid=supervised_by or 0) as lock:
        if not lock.acquire(stop):
            return
        click.echo(f"Worker of camera {camera_name}: process {os.getpid()}, niceness "
                   f"{niceness}" + (f", supervised by {supervised_by}" if supervised_by else ""),
                   err=True)
        # A worker started by 'attendance serve' runs on the dashboard's machine with its
        # settings: it needs no token (the token proves a classroom machine's worker).
        outdated = run_worker(settings, camera_name, stop, verify_token=supervised_by is None)
    if outdated:
        click.echo(f"Camera {camera_name} was changed or removed in the database; start the "
                   "worker again to film with it as it is now.", err=True)
        sys.exit(EXIT_CAMERA_CHANGED)
