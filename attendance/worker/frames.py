"""Frame sources: a tiny protocol, an OpenCV source, and a supervisor that never gives up.

A :class:`FrameSource` opens, reads one BGR frame at a time, and closes. The
:class:`CameraSupervisor` wraps a factory of sources and turns every failure (cannot open,
read returns nothing, garbage frames, a read that hangs, a picture frozen on one identical
frame) into "no frame this time", a logged error and a reconnect attempt after a capped
exponential backoff. It never raises and never sleeps: the caller passes the current time,
so a fake clock drives it in tests.

Credentials never reach a log line or an error report: a source describes itself redacted
(``attendance.camera_sources``), and every message the supervisor logs or reports passes
through its ``redact`` function first (the worker gives it one that knows its camera's
secrets), since a driver's error may quote the URL it failed to open.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from ..camera_sources import redact_source, redact_text
from ..errors import CameraUnavailable

logger = logging.getLogger(__name__)

#: A frame whose brightest pixel is at or below this grey level counts as all black.
BLACK_LEVEL = 8
#: Smallest frame side (pixels) we accept as a real picture.
MIN_SIDE = 16
#: A frozen picture needs at least this many identical frames in a row (besides the time),
#: so a slow capture interval never mistakes two reads of a still video for a stall.
FROZEN_MIN_REPEATS = 3
#: Incidents kept in :attr:`CameraSupervisor.incidents` (oldest dropped).
INCIDENTS_KEPT = 1000

Frame = NDArray[np.uint8]


class FrameSource(Protocol):
    """Where frames come from. Implementations may block in :meth:`read`; they need not be
    thread-safe, but :meth:`read` may be called from a helper thread."""

    @property
    def description(self) -> str:
        """A readable name of the source for logs (no credentials)."""
        ...

    def open(self) -> None:
        """Open the source; raises :class:`CameraUnavailable` when it cannot."""
        ...

    def read(self) -> Frame | None:
        """The next BGR frame, (H, W, 3) uint8, or None when none could be read."""
        ...

    def close(self) -> None:
        """Release the source; safe to call twice."""
        ...


class OpenCvFrameSource:
    """A camera read with ``cv2.VideoCapture``.

    ``source`` is a device index (``"0"``), a video file path, or an ``rtsp://``,
    ``http(s)://`` URL, exactly as stored on the Camera row.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._capture: object | None = None

    @property
    def description(self) -> str:
        return redact_source(self.source)

    def open(self) -> None:
        import cv2  # noqa: PLC0415 - heavy import, only when a camera is opened

        self.close()
        target: int | str = int(self.source) if self.source.strip().isdigit() else self.source
        try:
            capture = cv2.VideoCapture(target)
        except Exception as exc:  # cv2.error and friends may quote the URL: redact it
            raise CameraUnavailable(
                f"camera source {self.description!r} could not be opened: "
                f"{redact_text(str(exc), self.source)}") from None
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailable(
                f"camera source {self.description!r} could not be opened; check the device "
                "index, file path or URL"
            )
        # Keep latency low on live streams: we want the newest frame, not a backlog.
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def read(self) -> Frame | None:
        capture = self._capture
        if capture is None:
            return None
        ok, frame = capture.read()  # type: ignore[attr-defined]
        if not ok or frame is None:
            return None
        return np.asarray(frame)

    def close(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()  # type: ignore[attr-defined]


def frame_problem(frame: object) -> str | None:
    """Why ``frame`` is not a usable BGR picture, or None when it is fine."""
    if frame is None:
        return "no frame (read failed or stream ended)"
    if not isinstance(frame, np.ndarray):
        return f"frame is a {type(frame).__name__}, not an array"
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        return f"frame has shape {frame.shape} {frame.dtype}, expected (H, W, 3) uint8"
    if min(frame.shape[:2]) < MIN_SIDE:
        return f"frame of {frame.shape[1]}x{frame.shape[0]} pixels is too small"
    if int(frame.max()) <= BLACK_LEVEL:
        return "frame is all black (lens covered, or the camera delivers no picture)"
    return None


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: ``initial_s`` doubling after each failure, capped at ``max_s``."""

    initial_s: float = 1.0
    max_s: float = 60.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` (>= 1) consecutive failures."""
        return float(min(self.max_s, self.initial_s * 2 ** max(0, failures - 1)))


@dataclass(frozen=True)
class Incident:
    """One camera problem: when it was noticed (the caller's clock), its kind (``no_frame``,
    ``hung``, ``frozen``, ``bad_frame``, ``open_failed``) and the message logged."""

    at: datetime
    kind: str
    message: str


class CameraSupervisor:
    """Reads frames from a source made by ``factory``, recovering from every failure.

    ``read_timeout_s``: a read taking longer counts as hung; the source is abandoned (its
    helper thread may linger until the driver returns) and a fresh one is made.
    ``frozen_after_s``: a picture byte-for-byte identical for this many seconds (and at least
    :data:`FROZEN_MIN_REPEATS` reads) counts as a stalled camera (a stuck decoder or stream
    repeating its last frame; a live sensor's noise makes real frames differ) and is
    reconnected; None turns the check off.
    ``bad_frames_before_reconnect``: consecutive unusable frames (wrong shape, all black)
    tolerated before reopening; a read that returns nothing reopens at once.
    ``on_error`` is told every problem (for the heartbeat's ``last_error``); the recent ones
    are also kept in :attr:`incidents` and counted by kind in :attr:`counts`.
    ``redact`` cleans every message before it is logged, kept or reported (default: every
    URL's credentials removed; the worker passes one that also knows its source's secrets).
    """

    def __init__(
        self,
        factory: Callable[[], FrameSource],
        *,
        backoff: Backoff | None = None,
        read_timeout_s: float = 10.0,
        frozen_after_s: float | None = None,
        bad_frames_before_reconnect: int = 3,
        on_error: Callable[[str], None] | None = None,
        redact: Callable[[str], str] = redact_text,
    ) -> None:
        self._factory = factory
        self._redact = redact
        self._backoff = backoff or Backoff()
        self._read_timeout_s = read_timeout_s
        self._bad_limit = max(1, bad_frames_before_reconnect)
        self._on_error = on_error
        self._source: FrameSource | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._failures = 0
        self._bad_frames = 0
        self._next_attempt: datetime | None = None
        self._lock = threading.Lock()
        self._frozen_after_s = frozen_after_s
        self._last_digest: bytes | None = None
        self._same_since: datetime | None = None
        self._same_count = 0
        self.reconnects = 0
        self.incidents: deque[Incident] = deque(maxlen=INCIDENTS_KEPT)
        self.counts: Counter[str] = Counter()

    @property
    def is_open(self) -> bool:
        return self._source is not None

    def read(self, now: datetime) -> Frame | None:
        """A good BGR frame, or None (failure handled and logged, or waiting to reconnect)."""
        with self._lock:
            if self._source is None and not self._try_open(now):
                return None
            frame = self._read_with_watchdog()
            if frame is _HUNG:
                why = f"camera read hung for more than {self._read_timeout_s:g} s"
                self._abandon(now, why, kind="hung", hung=True)
                return None
            if frame is None:  # the stream dropped or ended: reopen it
                self._abandon(now, "camera delivered no frame (stream stopped or ended)",
                              kind="no_frame")
                return None
            problem = frame_problem(frame)
            if problem is None:
                assert isinstance(frame, np.ndarray)
                frozen_for = self._frozen_for(frame, now)
                if frozen_for is not None:
                    self._abandon(now, f"camera picture frozen: the same frame for "
                                       f"{frozen_for:g} s; reconnecting", kind="frozen")
                    return None
                self._bad_frames = 0
                self._failures = 0
                return frame
            self._bad_frames += 1
            self._report(now, "bad_frame", f"bad frame from camera: {problem}")
            if self._bad_frames >= self._bad_limit:
                self._abandon(now, f"{self._bad_frames} bad frames in a row; reconnecting",
                              kind="bad_frame")
            return None

    def close(self) -> None:
        """Close the source and the helper thread (does not wait for a hung read)."""
        with self._lock:
            self._drop_source()

    def _frozen_for(self, frame: Frame, now: datetime) -> float | None:
        """Seconds the picture has been identical when that counts as frozen, else None."""
        if self._frozen_after_s is None:
            return None
        digest = hashlib.blake2b(np.ascontiguousarray(frame).data, digest_size=16).digest()
        if digest != self._last_digest or self._same_since is None:
            self._last_digest, self._same_since, self._same_count = digest, now, 1
            return None
        self._same_count += 1
        seconds = (now - self._same_since).total_seconds()
        if seconds >= self._frozen_after_s and self._same_count >= FROZEN_MIN_REPEATS:
            return seconds
        return None

    def _try_open(self, now: datetime) -> bool:
        if self._next_attempt is not None and now < self._next_attempt:
            return False
        source: FrameSource | None = None
        try:
            source = self._factory()
            source.open()
        except Exception as exc:  # any driver failure is "unavailable", retried later
            if source is not None:
                _close_quietly(source, self._redact)
            self._schedule_retry(now, f"cannot open camera: {exc}", kind="open_failed")
            return False
        logger.info("camera %s opened", self._redact(source.description))
        self._source = source
        self._bad_frames = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="camera-read")
        return True

    def _read_with_watchdog(self) -> object:
        assert self._source is not None
        assert self._executor is not None
        future: Future[Frame | None] = self._executor.submit(self._source.read)
        try:
            return future.result(timeout=self._read_timeout_s)
        except FutureTimeout:
            return _HUNG
        except Exception as exc:  # a crashing driver is reported like a missing frame
            logger.warning("camera read raised %s: %s", type(exc).__name__,
                           self._redact(str(exc)))
            return None

    def _abandon(self, now: datetime, why: str, *, kind: str, hung: bool = False) -> None:
        self._drop_source(hung=hung)
        self.reconnects += 1
        self._schedule_retry(now, why, kind=kind)

    def _drop_source(self, *, hung: bool = False) -> None:
        source, self._source = self._source, None
        executor, self._executor = self._executor, None
        self._last_digest, self._same_since, self._same_count = None, None, 0
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        if source is None:
            return
        if hung:
            # Closing may block behind the stuck read: do it on a throwaway thread.
            threading.Thread(target=_close_quietly, args=(source, self._redact),
                             daemon=True).start()
        else:
            _close_quietly(source, self._redact)

    def _schedule_retry(self, now: datetime, why: str, *, kind: str) -> None:
        self._failures += 1
        delay = self._backoff.delay(self._failures)
        self._next_attempt = now + timedelta(seconds=delay)
        self._report(now, kind, f"{why}; retrying in {delay:g} s")

    def _report(self, now: datetime, kind: str, message: str) -> None:
        message = self._redact(message)
        logger.warning("%s", message)
        self.incidents.append(Incident(now, kind, message))
        self.counts[kind] += 1
        if self._on_error is not None:
            self._on_error(message)


_HUNG = object()


def _close_quietly(source: FrameSource, redact: Callable[[str], str] = redact_text) -> None:
    try:
        source.close()
    except Exception as exc:  # logged without its traceback, which could quote the URL
        logger.warning("closing camera source %s failed: %s: %s", source.description,
                       type(exc).__name__, redact(str(exc)))


__all__ = [
    "Backoff",
    "CameraSupervisor",
    "Frame",
    "FrameSource",
    "Incident",
    "OpenCvFrameSource",
    "frame_problem",
]
