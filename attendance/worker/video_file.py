"""A recorded lesson as a camera: a video file played at the pace it was filmed.

A live camera shows what is in front of it now; read frame after frame, a 9-second clip
would last as many captures as it has frames (hundreds of ticks at a capture every few
seconds). :class:`VideoFileSource` with ``playback="realtime"`` shows, at every read, the
frame belonging to the time elapsed since the file was opened, at the file's own frame rate
(frames in between are skipped: grabbed without decoding to pixels, or jumped over by seeking
when far ahead), so a recorded lesson replays as it was filmed. At the end of the file it
starts again with ``loop``; without, the read returns nothing and the camera supervisor
reconnects, which opens the file from its start after the reconnect wait. ``playback=
"frames"`` reads the next frame at every capture (tests, frame-by-frame analysis).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

import numpy as np

from ..config import FILE_PLAYBACKS
from .frames import Frame, OpenCvFrameSource

logger = logging.getLogger(__name__)

#: Frames further ahead than this are reached by seeking rather than grabbing one by one.
SEEK_AHEAD_FRAMES = 250


def is_video_file(source: str) -> bool:
    """Whether a camera ``source`` names a file (not a device index, not a URL)."""
    text = source.strip()
    return bool(text) and not text.isdigit() and "://" not in text


class VideoFileSource(OpenCvFrameSource):
    """A video file read in real time (``playback="realtime"``) or frame by frame
    (``"frames"``), optionally looping. ``monotonic`` is the clock of the elapsed time
    (seconds; injectable for tests)."""

    def __init__(self, path: str, *, playback: str = "realtime", loop: bool = False,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if playback not in FILE_PLAYBACKS:
            raise ValueError(f"unknown playback {playback!r}; valid: {', '.join(FILE_PLAYBACKS)}")
        super().__init__(path)
        self.playback = playback
        self.loop = loop
        self._monotonic = monotonic
        self._started = 0.0
        self._fps = 0.0
        self._frames = 0
        #: Index of the frame the next plain read returns.
        self._position = 0

    @property
    def fps(self) -> float:
        """The file's frame rate (0 until opened, or when the file does not say)."""
        return self._fps

    def open(self) -> None:
        import cv2  # noqa: PLC0415 - heavy import, only when a camera is opened

        super().open()
        capture = self._capture
        assert capture is not None
        fps = float(capture.get(cv2.CAP_PROP_FPS))  # type: ignore[attr-defined]
        frames = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))  # type: ignore[attr-defined]
        self._fps = fps if math.isfinite(fps) and 0 < fps <= 1000 else 0.0
        self._frames = int(frames) if math.isfinite(frames) and frames > 0 else 0
        if self.playback == "realtime" and not self._fps:
            logger.warning("video %s does not say its frame rate: read frame by frame",
                           self.description)
        self._started = self._monotonic()
        self._position = 0

    def read(self) -> Frame | None:
        if self._capture is None:
            return None
        if self.playback == "frames" or not self._fps:
            frame = super().read()
            if frame is None and self.loop and self._position > 0:
                self._seek(0)
                frame = super().read()
            self._position = self._position + 1 if frame is not None else 0
            return frame
        index = int((self._monotonic() - self._started) * self._fps + 1e-6)
        if self._frames and index >= self._frames:
            if not self.loop:
                return None
            index %= self._frames
        frame = self._read_at(index)
        if frame is None and self.loop and index > 0:  # the file was shorter than it said
            self._frames = index
            self._started = self._monotonic()
            frame = self._read_at(0)
        return frame

    def _read_at(self, index: int) -> Frame | None:
        """Frame ``index`` (0-based): grab forward to it, or seek when behind or far ahead."""
        capture = self._capture
        assert capture is not None
        if index < self._position or index - self._position > SEEK_AHEAD_FRAMES:
            self._seek(index)
        while self._position < index:
            if not capture.grab():  # type: ignore[attr-defined]
                return None
            self._position += 1
        ok, frame = capture.read()  # type: ignore[attr-defined]
        if not ok or frame is None:
            return None
        self._position += 1
        return np.asarray(frame)

    def _seek(self, index: int) -> None:
        import cv2  # noqa: PLC0415

        assert self._capture is not None
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)  # type: ignore[attr-defined]
        self._position = index


__all__ = ["SEEK_AHEAD_FRAMES", "VideoFileSource", "is_video_file"]
