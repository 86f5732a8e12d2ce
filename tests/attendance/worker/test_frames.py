"""Frame sources and the camera supervisor: garbage, failures, hangs, backoff."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from attendance.errors import CameraUnavailable
from attendance.worker import CameraSupervisor, FrameSource, OpenCvFrameSource
from attendance.worker.frames import Backoff, frame_problem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD = np.full((48, 64, 3), 120, dtype=np.uint8)


class _Source:
    """A scripted source: ``frames`` are returned in turn (then None)."""

    def __init__(self, frames: list[object], *, fail_open: bool = False,
                 block: threading.Event | None = None) -> None:
        self.frames = list(frames)
        self.fail_open = fail_open
        self.block = block
        self.closed = False

    @property
    def description(self) -> str:
        return "scripted"

    def open(self) -> None:
        if self.fail_open:
            raise CameraUnavailable("cannot open (test)")

    def read(self) -> NDArray[np.uint8] | None:
        if self.block is not None:
            self.block.wait(10)
        frame = self.frames.pop(0) if self.frames else None
        return frame  # type: ignore[return-value]

    def close(self) -> None:
        self.closed = True


def _factory(sources: list[_Source]) -> tuple[list[_Source], object]:
    made: list[_Source] = []

    def make() -> FrameSource:
        made.append(sources.pop(0))
        return made[-1]

    return made, make


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (None, "no frame"),
        ("jpeg bytes", "not an array"),
        (np.zeros((48, 64), np.uint8), "expected (H, W, 3)"),
        (np.zeros((48, 64, 3), np.float32), "expected (H, W, 3)"),
        (np.full((8, 8, 3), 100, np.uint8), "too small"),
        (np.zeros((48, 64, 3), np.uint8), "all black"),
        (GOOD, None),
    ],
)
def test_frame_problem_names_what_is_wrong(frame: object, problem: str | None) -> None:
    found = frame_problem(frame)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_backoff_doubles_and_is_capped() -> None:
    assert [Backoff(1.0, 10.0).delay(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_supervisor_retries_after_backoff_and_recovers_from_garbage() -> None:
    errors: list[str] = []
    made, make = _factory([
        _Source([], fail_open=True),
        _Source([GOOD, np.zeros((48, 64, 3), np.uint8), GOOD, None]),
        _Source([GOOD]),
    ])
    camera = CameraSupervisor(make, backoff=Backoff(1.0, 8.0),  # type: ignore[arg-type]
                              bad_frames_before_reconnect=2, on_error=errors.append)
    assert camera.read(T0) is None  # cannot open: retry in 1 s
    assert camera.read(T0 + timedelta(seconds=0.5)) is None
    assert len(made) == 1  # still waiting out the backoff
    assert camera.read(T0 + timedelta(seconds=1)) is GOOD
    assert camera.read(T0 + timedelta(seconds=2)) is None  # black: tolerated once
    assert camera.read(T0 + timedelta(seconds=3)) is GOOD
    assert camera.read(T0 + timedelta(seconds=4)) is None  # stream ended: reconnect
    assert made[1].closed
    assert camera.read(T0 + timedelta(seconds=5)) is GOOD
    assert camera.reconnects == 1
    assert any("cannot open" in e for e in errors)
    assert any("all black" in e for e in errors)
    camera.close()


def test_a_hung_read_is_abandoned_by_the_watchdog() -> None:
    release = threading.Event()
    made, make = _factory([_Source([GOOD], block=release), _Source([GOOD])])
    errors: list[str] = []
    camera = CameraSupervisor(make, read_timeout_s=0.2, on_error=errors.append)  # type: ignore[arg-type]
    started = time.monotonic()
    assert camera.read(T0) is None
    assert time.monotonic() - started < 2.0
    assert "hung" in errors[-1]
    assert camera.read(T0 + timedelta(seconds=2)) is GOOD  # a fresh source
    assert len(made) == 2
    release.set()
    camera.close()


def test_opencv_source_reads_a_video_file_and_refuses_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "tiny.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 5.0, (64, 48))
    for value in (60, 120, 180):
        writer.write(np.full((48, 64, 3), value, dtype=np.uint8))
    writer.release()
    source = OpenCvFrameSource(str(path))
    source.open()
    frames = [source.read() for _ in range(4)]
    source.close()
    assert [f is not None and f.shape == (48, 64, 3) for f in frames] == [True] * 3 + [False]
    with pytest.raises(CameraUnavailable, match="could not be opened"):
        OpenCvFrameSource(str(tmp_path / "missing.avi")).open()
    assert OpenCvFrameSource("rtsp://user:secret@cam/stream").description == "rtsp://cam/stream"
