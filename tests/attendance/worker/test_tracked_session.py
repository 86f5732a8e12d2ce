"""The real worker and dlib on a seated class: inherited sightings are stored with their origin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AttendanceRecord, Sighting, Status
from attendance.worker import CameraWorker, FakeClock, inherited_from
from models import Embedder

from .conftest import INTERVAL_S, START, lfw_photo, make_classroom

pytestmark = pytest.mark.lfw

SEATED = (("Colin_Powell", 4), ("Donald_Rumsfeld", 3))
TICKS = 7


class _SeatedCamera:
    """Two roster students side by side, each shifted a pixel or two from read to read, on
    a background with fresh noise (no two frames alike, as from a live sensor)."""

    description = "seated test camera"

    def __init__(self, lfw: Path) -> None:
        self.photos = [cv2.imread(str(lfw_photo(lfw, p, n))) for p, n in SEATED]
        self.reads = 0

    def open(self) -> None:
        """Nothing to open."""

    def read(self) -> NDArray[np.uint8]:
        rng = np.random.default_rng(self.reads)
        frame = rng.integers(90, 140, size=(360, 640, 3), dtype=np.uint8)
        for photo, left in zip(self.photos, (40, 350), strict=True):
            dy, dx = (int(v) for v in rng.integers(0, 3, size=2))
            frame[55 + dy:305 + dy, left + dx:left + dx + 250] = photo
        self.reads += 1
        return frame

    def close(self) -> None:
        """Nothing to close."""


@pytest.mark.parametrize("tracking", [True, False])
def test_inherited_sightings_name_the_frame_and_box_they_came_from(
    session_factory: sessionmaker[Session],
    enrollment_vectors: dict[str, list[NDArray[np.float32]]],
    lfw_dir: Path,
    dlib_embedder: Embedder,
    worker_settings: Callable[..., Settings],
    tracking: bool,
) -> None:
    room = make_classroom(session_factory, enrollment_vectors, source="0")
    clock = FakeClock(START)
    camera = _SeatedCamera(lfw_dir)
    worker = CameraWorker.for_camera(worker_settings(track_faces=tracking), session_factory,
                                     room.camera_name, embedders=[dlib_embedder], clock=clock,
                                     frame_source_factory=lambda: camera)
    reports = []
    for _ in range(TICKS):
        reports.append(worker.tick(room.class_session_id))
        clock.advance(INTERVAL_S)
    worker.close()
    assert [(r.frame, r.faces, r.matched) for r in reports] == [(True, 2, 2)] * TICKS

    with session_factory() as session:
        sightings = list(session.scalars(select(Sighting).where(
            Sighting.class_session_id == room.class_session_id).order_by(Sighting.seen_at)))
        records = list(session.scalars(select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == room.class_session_id)))
    assert len(sightings) == 2 * TICKS
    assert {r.student_id: (r.status, r.sightings_count) for r in records} == {
        room.students[p]: (Status.PRESENT, TICKS) for p, _ in SEATED}
    inherited = [(s, inherited_from(s.evidence)) for s in sightings
                 if inherited_from(s.evidence) is not None]
    counted = worker.metrics.inherited.labels(room.camera_name)._value.get()
    assert counted == len(inherited)
    if not tracking:
        assert inherited == []
        return
    # Ticks 0 and 1 confirm both faces; afterwards 1 face in 3 is embedded again per tick
    # (reverify every 6 frames, round-robin): at least 7 of the 10 later faces inherit.
    assert len(inherited) >= 7
    embedded = {(s.student_id, s.seen_at, (s.box_top, s.box_right, s.box_bottom, s.box_left))
                for s in sightings if inherited_from(s.evidence) is None}
    for sighting, origin in inherited:
        assert origin is not None
        # The origin is a sighting of the same student embedded in an earlier frame.
        assert (sighting.student_id, origin.from_seen_at, origin.from_box) in embedded
        assert origin.from_seen_at < sighting.seen_at
        assert timedelta(0) < sighting.seen_at - origin.from_seen_at <= timedelta(
            seconds=INTERVAL_S * origin.frames_since_embedding)
        assert sighting.evidence["dlib"]["accepted"] is True
