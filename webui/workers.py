"""The camera worker processes ``attendance serve`` supervises, as the pages see them."""

from __future__ import annotations

from typing import Protocol

from flask import current_app

from attendance.worker import WorkerState

#: Where :func:`webui.cli.run_server` puts the running worker processes in ``app.extensions``.
WORKERS_KEY = "attendance.worker_processes"


class RunningWorkers(Protocol):
    """The camera worker processes started beside the dashboard."""

    def states(self) -> list[WorkerState]: ...

    def stop(self) -> None: ...


def worker_states() -> dict[str, WorkerState] | None:
    """Each camera's worker process state by camera name; None when this server runs no
    worker processes (``--no-worker``: classroom machines run them)."""
    workers: RunningWorkers | None = current_app.extensions.get(WORKERS_KEY)
    if workers is None:
        return None
    return {state.camera: state for state in workers.states()}
