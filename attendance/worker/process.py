"""The worker process itself: its CPU priority and its camera's lock file.

One camera is filmed by one worker on a machine: the worker holds an exclusive lock on
``<instance>/workers/<camera>.lock`` (``fcntl.flock``, released by the kernel however the
process ends). The file names the holder's pid and the pid of the ``attendance serve`` that
supervises it (0 for a worker started by hand). A worker that finds the lock taken waits,
unless the holder was supervised by a server that is gone (the dashboard crashed and left
its worker filming): then it asks that orphan to stop (SIGTERM; it stores what it spooled)
and takes over.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import signal
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

logger = logging.getLogger(__name__)

WORKERS_DIR = "workers"
#: Seconds between attempts to take a lock another worker holds.
RETRY_S = 2.0
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def lower_priority(niceness: int) -> int:
    """Raise this process's niceness to ``niceness`` (never lowers it); the niceness now.

    Where the OS has no ``nice`` (Windows) or refuses, the process keeps its priority."""
    if not hasattr(os, "nice"):
        return 0
    try:
        current = os.nice(0)
        return os.nice(niceness - current) if niceness > current else current
    except OSError as exc:
        logger.warning("could not lower the worker's CPU priority: %s", exc)
        return 0


def lock_path(instance_path: Path, camera: str) -> Path:
    """The lock file of ``camera`` (a file-system-safe name derived from it)."""
    safe = _UNSAFE.sub("_", camera)[:60]
    digest = hashlib.sha256(camera.encode("utf-8")).hexdigest()[:8]
    return instance_path / WORKERS_DIR / f"{safe}-{digest}.lock"


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CameraLock:
    """The exclusive right to film one camera on this machine (a context manager)."""

    def __init__(self, instance_path: Path, camera: str, *, supervisor_pid: int = 0) -> None:
        self.path = lock_path(instance_path, camera)
        self.camera = camera
        self.supervisor_pid = supervisor_pid
        self._file: IO[str] | None = None

    def acquire(self, stop: threading.Event) -> bool:
        """Take the lock, waiting while another live worker holds it; False if ``stop`` is
        set first. An orphan (its supervising server is gone) is asked to stop first."""
        import fcntl  # noqa: PLC0415 - POSIX only; the worker runs on Linux

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        told: int | None = None
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise
            holder, supervisor = self._holder(handle)
            if holder and holder != told and supervisor and not _alive(supervisor):
                logger.warning("camera %s: worker %d was left by a server that is gone; "
                               "asking it to stop", self.camera, holder)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(holder, signal.SIGTERM)
                told = holder
            elif holder != told:
                logger.warning("camera %s is already filmed by worker process %s; waiting",
                               self.camera, holder or "?")
                told = holder
            if stop.wait(RETRY_S):
                handle.close()
                return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()} {self.supervisor_pid}\n")
        handle.flush()
        self._file = handle
        return True

    @staticmethod
    def _holder(handle: IO[str]) -> tuple[int, int]:
        handle.seek(0)
        parts = handle.read().split()
        try:
            return int(parts[0]), int(parts[1])
        except (IndexError, ValueError):
            return 0, 0

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor releases the flock
            self._file = None

    def __enter__(self) -> CameraLock:
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None,
                 _tb: TracebackType | None) -> None:
        self.release()


__all__ = ["CameraLock", "lock_path", "lower_priority"]
