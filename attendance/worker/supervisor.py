"""``attendance serve``'s camera workers: one supervised child process per camera.

dlib and OpenCV are native libraries: a crash in one of them kills its whole process. So the
dashboard never runs a camera worker in its own process; :class:`WorkerSupervisor` starts
``attendance worker --camera NAME`` as a child process for every camera that films a course
(checking for new ones every ``worker_refresh_seconds``), restarts a child that dies with
backoff (1 s doubling to ``camera_backoff_max_seconds``; a child that ran for a minute starts
again from 1 s), reports each child's state for the Cameras page, and stops them all when the
server stops (SIGTERM, then SIGKILL for any still running after ``stop_timeout_s``).

Children run at a lower CPU priority (``worker_nice``) and hold their camera's lock file, so a
worker left running by a server that crashed keeps filming until a new server's child takes
over (see :mod:`attendance.worker.process`).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from .frames import Backoff

logger = logging.getLogger(__name__)

#: A child that ran at least this long before it died starts its backoff again from 1 s.
STABLE_AFTER_S = 60.0


@dataclass(frozen=True)
class WorkerState:
    """What the Cameras page shows of one camera's worker process."""

    camera: str
    #: ``running``, ``restarting`` (waiting out its backoff) or ``stopped``.
    status: str
    pid: int | None
    #: When the current process started, or the last one ended (UTC).
    since: datetime | None
    restarts: int
    #: How the last process ended ("killed by SIGKILL", "exited with code 1"), if one did.
    last_exit: str | None
    #: Seconds until the next start while ``restarting``.
    restart_in_s: float | None = None


@dataclass
class _Child:
    camera: str
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    since: datetime | None = None
    failures: int = 0
    restarts: int = 0
    last_exit: str | None = None
    next_start: float = 0.0
    #: No longer discovered (the camera was removed, renamed or films no course): its
    #: process is asked to stop and the child is forgotten once it has.
    retired: bool = False
    signalled: bool = False


def child_command(camera: str) -> list[str]:
    """The command line of a supervised worker of ``camera`` (this Python, this package)."""
    return [sys.executable, "-m", "attendance", "worker", "--camera", camera,
            "--supervised-by", str(os.getpid())]


def describe_exit(returncode: int) -> str:
    """``"killed by SIGKILL"`` or ``"exited with code 1"``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with code {returncode}"


class WorkerSupervisor:
    """Keeps one worker child process running per camera returned by ``discover``.

    ``discover`` returns the camera names that need a worker (it may raise: the database may
    be down; the cameras known so far keep running). ``command`` gives a camera's child
    command line. ``backoff`` spaces restarts. ``on_stop`` runs once every child has
    stopped (to release what ``discover`` uses). Children get ``env`` as their environment
    (default: this process's, so they load the same settings). Thread-safe: :meth:`states`
    may be called from any thread (the dashboard's request threads).
    """

    def __init__(
        self,
        discover: Callable[[], Sequence[str]],
        *,
        command: Callable[[str], list[str]] = child_command,
        refresh_s: float = 30.0,
        backoff: Backoff | None = None,
        poll_s: float = 0.5,
        stop_timeout_s: float = 30.0,
        stable_after_s: float = STABLE_AFTER_S,
        on_stop: Callable[[], None] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._discover = discover
        self._command = command
        self._refresh_s = refresh_s
        self._backoff = backoff or Backoff(1.0, 60.0)
        self._poll_s = poll_s
        self._stop_timeout_s = stop_timeout_s
        self._stable_after_s = stable_after_s
        self._on_stop = on_stop
        self._env = dict(env) if env is not None else None
        self._children: dict[str, _Child] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start supervising in a background thread (returns at once)."""
        self._thread = threading.Thread(target=self._run, name="worker-supervisor",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop supervising and stop every child: SIGTERM (each finishes its current frame
        and stores what it spooled), then SIGKILL after ``stop_timeout_s``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            running = [c for c in self._children.values() if c.process is not None]
        for child in running:
            assert child.process is not None
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout_s
        for child in running:
            assert child.process is not None
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker of camera %s did not stop in %g s; killing it",
                               child.camera, self._stop_timeout_s)
                child.process.kill()
                child.process.wait()
            self._ended(child, time.monotonic(), restart=False)
        if self._on_stop is not None:
            self._on_stop()
        logger.info("camera worker processes stopped")

    def states(self) -> list[WorkerState]:
        """Each camera's worker state, by camera name."""
        now = time.monotonic()
        with self._lock:
            return [self._state(c, now) for _, c in sorted(self._children.items())]

    def _state(self, child: _Child, now: float) -> WorkerState:
        if child.process is not None:
            return WorkerState(child.camera, "running", child.process.pid, child.since,
                               child.restarts, child.last_exit)
        if self._stop.is_set():
            return WorkerState(child.camera, "stopped", None, child.since, child.restarts,
                               child.last_exit)
        return WorkerState(child.camera, "restarting", None, child.since, child.restarts,
                           child.last_exit, max(0.0, child.next_start - now))

    def _run(self) -> None:
        next_discovery = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_discovery:
                self._add_new_cameras(now)
                next_discovery = now + self._refresh_s
            with self._lock:
                children = list(self._children.values())
            for child in children:
                if self._stop.is_set():
                    break
                self._check(child, time.monotonic())
            self._stop.wait(self._poll_s)

    def _add_new_cameras(self, now: float) -> None:
        try:
            names = list(self._discover())
        except Exception as exc:  # the database may be down: keep what runs, try again later
            logger.warning("cannot list the cameras to film (%s); trying again later", exc)
            return
        with self._lock:
            for name in names:
                # A retired child still stopping keeps its place (and its process, to be
                # reaped); the camera gets a new worker at the first discovery after that.
                if name not in self._children:
                    self._children[name] = _Child(name, next_start=now)
                    logger.info("camera %s: starting its worker process", name)
            for name, child in self._children.items():
                if name not in names and not child.retired:
                    child.retired = True
                    logger.info("camera %s no longer films a course (removed, renamed or "
                                "detached): stopping its worker process", name)

    def _check(self, child: _Child, now: float) -> None:
        if child.retired:
            self._retire(child)
            return
        process = child.process
        if process is not None and process.poll() is not None:
            self._ended(child, now, restart=True)
        if child.process is None and now >= child.next_start:
            self._spawn(child, now)

    def _retire(self, child: _Child) -> None:
        """Ask a retired child's process to stop (SIGTERM, once); forget it when it has."""
        process = child.process
        if process is not None and process.poll() is None:
            if not child.signalled:
                process.send_signal(signal.SIGTERM)
                child.signalled = True
            return
        with self._lock:
            if self._children.get(child.camera) is child:
                del self._children[child.camera]

    def _spawn(self, child: _Child, now: float) -> None:
        try:
            process = subprocess.Popen(self._command(child.camera),  # noqa: S603 - our command
                                       env=self._env)
        except OSError as exc:
            with self._lock:
                child.failures += 1
                child.last_exit = f"could not start: {exc}"
                child.next_start = now + self._backoff.delay(child.failures)
            logger.error("camera %s: worker process could not start: %s", child.camera, exc)
            return
        with self._lock:
            child.process, child.started, child.since = process, now, datetime.now(UTC)
        logger.info("camera %s: worker process %d started", child.camera, process.pid)

    def _ended(self, child: _Child, now: float, *, restart: bool) -> None:
        with self._lock:
            process = child.process
            if process is None or process.returncode is None:
                return
            exit_text = describe_exit(process.returncode)
            child.process, child.since, child.last_exit = None, datetime.now(UTC), exit_text
            if not restart:
                return
            child.failures = 1 if now - child.started >= self._stable_after_s \
                else child.failures + 1
            child.restarts += 1
            delay = self._backoff.delay(child.failures)
            child.next_start = now + delay
        logger.warning("camera %s: worker process %d %s; restarting in %g s",
                       child.camera, process.pid, exit_text, delay)


__all__ = ["WorkerState", "WorkerSupervisor", "child_command", "describe_exit"]
