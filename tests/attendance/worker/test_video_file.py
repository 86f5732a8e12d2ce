"""A video file as a camera plays in real time (at its own frame rate), optionally looping."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from attendance.config import Settings
from attendance.worker import OpenCvFrameSource, VideoFileSource
from attendance.worker.camera_worker import _frame_source
from attendance.worker.video_file import is_video_file
from tests.conftest import make_settings

FPS = 5.0
FRAMES = 10


def _level(frame: np.ndarray | None) -> int | None:
    """Which frame of the test video ``frame`` is (each is one flat grey level)."""
    return None if frame is None else round((float(frame.mean()) - 20) / 20)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    """Ten frames at 5 frames/s (2 s), frame i all grey level 20 + 20 i."""
    path = tmp_path / "lesson.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (64, 48))
    for i in range(FRAMES):
        writer.write(np.full((48, 64, 3), 20 + 20 * i, np.uint8))
    writer.release()
    return path


class _Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _reads(source: VideoFileSource, clock: _Clock, times: list[float]) -> list[int | None]:
    levels = []
    for t in times:
        clock.t = 100.0 + t
        levels.append(_level(source.read()))
    return levels


def test_realtime_shows_the_frame_of_the_elapsed_time(video: Path) -> None:
    clock = _Clock()
    source = VideoFileSource(str(video), monotonic=clock)
    source.open()
    assert source.fps == pytest.approx(FPS)
    # 0.5 s is frame 2 (frames 1 skipped), reading again in the same frame's time repeats it,
    # going back in time seeks, and the end of the file is the end of the picture.
    assert _reads(source, clock, [0.0, 0.5, 0.55, 1.9, 0.2, 2.0, 5.0]) == [
        0, 2, 2, 9, 1, None, None]
    source.close()


def test_realtime_loops_when_asked(video: Path) -> None:
    clock = _Clock()
    source = VideoFileSource(str(video), loop=True, monotonic=clock)
    source.open()
    assert _reads(source, clock, [0.0, 1.8, 2.0, 2.5, 4.1, 100.6]) == [0, 9, 0, 2, 0, 3]
    source.close()


def test_reopening_starts_from_the_beginning(video: Path) -> None:
    clock = _Clock()
    source = VideoFileSource(str(video), monotonic=clock)
    source.open()
    assert _reads(source, clock, [1.0]) == [5]
    source.open()  # the supervisor reconnects after the end of the file
    assert _reads(source, clock, [1.0, 1.4]) == [0, 2]
    source.close()


def test_frames_playback_reads_one_frame_per_call(video: Path) -> None:
    once = VideoFileSource(str(video), playback="frames")
    once.open()
    assert [_level(once.read()) for _ in range(FRAMES + 1)] == [*range(FRAMES), None]
    once.close()
    looped = VideoFileSource(str(video), playback="frames", loop=True)
    looped.open()
    assert [_level(looped.read()) for _ in range(FRAMES + 2)] == [*range(FRAMES), 0, 1]
    looped.close()
    with pytest.raises(ValueError, match="unknown playback"):
        VideoFileSource(str(video), playback="fast")


def test_the_worker_plays_files_as_configured(video: Path, tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path, camera_file_loop=True)
    source = _frame_source(settings, str(video))
    assert isinstance(source, VideoFileSource)
    assert (source.playback, source.loop) == ("realtime", True)
    for stream in ("0", "rtsp://cam.local/stream", "http://cam/video.mjpg"):
        assert not is_video_file(stream)
        assert type(_frame_source(settings, stream)) is OpenCvFrameSource
