"""Test videos made of LFW photos on a plain background, one frame per capture tick."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from attendance.worker import Clock, OpenCvFrameSource

from .conftest import INTERVAL_S, lfw_photo

FRAME_W, FRAME_H = 640, 360
#: Left edges of the two places a 250 x 250 photo can take in a frame.
SLOTS_X = (40, 350)
SLOT_Y = 55

#: The scenario: tick k is captured at 09:59:00 + 30 s * k (22 ticks up to 10:09:30).
#: Powell arrives in the grace period (present), Rumsfeld after the 3-minute late mark
#: (late), Schroeder shows up in one frame only (absent), Sharon never comes (absent),
#: Chavez (enrolled, other course) and Serena Williams (stranger) are never marked.
TIMELINE: list[list[tuple[str, int]]] = [
    [],                                                       # 09:59:00
    [("Colin_Powell", 4), ("Serena_Williams", 3)],            # 09:59:30
    [("Colin_Powell", 5)],                                    # 10:00:00
    [],                                                       # 10:00:30
    [("Serena_Williams", 4), ("Hugo_Chavez", 5)],          # 10:01:00
    [("Gerhard_Schroeder", 4)],                               # 10:01:30
    [],                                                       # 10:02:00
    [],                                                       # 10:02:30
    [("Serena_Williams", 5)],                                 # 10:03:00
    [("Donald_Rumsfeld", 3)],                                 # 10:03:30
    [("Donald_Rumsfeld", 4), ("Serena_Williams", 6)],         # 10:04:00
    [("Colin_Powell", 6), ("Donald_Rumsfeld", 7)],            # 10:04:30
    [],                                                       # 10:05:00
    [("Hugo_Chavez", 6)],                                  # 10:05:30
    [],                                                       # 10:06:00
    [("Colin_Powell", 7)],                                    # 10:06:30
    [],                                                       # 10:07:00
    [("Serena_Williams", 7), ("Hugo_Chavez", 7)],          # 10:07:30
    [],                                                       # 10:08:00
    [],                                                       # 10:08:30
    [],                                                       # 10:09:00
    [("Donald_Rumsfeld", 8)],                                 # 10:09:30
]
FACES_IN_TIMELINE = sum(len(frame) for frame in TIMELINE)
UNKNOWN_FACES = sum(1 for frame in TIMELINE for p, _ in frame
                    if p in ("Serena_Williams", "Hugo_Chavez"))


def compose_frame(lfw: Path, people: list[tuple[str, int]], seed: int) -> NDArray[np.uint8]:
    """A BGR frame: textured grey background with up to two whole LFW photos on it."""
    rng = np.random.default_rng(seed)
    frame = rng.integers(90, 140, size=(FRAME_H, FRAME_W, 3), dtype=np.uint8)
    for (person, number), x in zip(people, SLOTS_X, strict=False):
        photo = cv2.imread(str(lfw_photo(lfw, person, number)))
        assert photo is not None, f"cannot read {person} {number}"
        frame[SLOT_Y:SLOT_Y + 250, x:x + 250] = photo
    return frame


def write_video(path: Path, lfw: Path, timeline: list[list[tuple[str, int]]]) -> Path:
    """Write ``timeline`` as an MJPG .avi, one frame per entry; returns ``path``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 2.0,
                             (FRAME_W, FRAME_H))
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi files here"
    for index, people in enumerate(timeline):
        writer.write(compose_frame(lfw, people, seed=index))
    writer.release()
    return path


class TimedVideoSource(OpenCvFrameSource):
    """Reads the frame of a video that belongs to the clock's current time (one frame per
    :data:`INTERVAL_S` from ``t0``), as a live camera would show it, whatever was read
    before: a restarted worker sees the classroom as it is now, not from the beginning."""

    def __init__(self, path: Path, clock: Clock, t0: datetime) -> None:
        super().__init__(str(path))
        self.clock = clock
        self.t0 = t0
        self.reads = 0
        self.lock = threading.Lock()

    def read(self) -> NDArray[np.uint8] | None:
        capture = self._capture
        if capture is None:
            return None
        index = int((self.clock.now() - self.t0).total_seconds() // INTERVAL_S)
        with self.lock:
            self.reads += 1
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)  # type: ignore[attr-defined]
        return super().read()
