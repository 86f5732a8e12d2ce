"""The worker keeps the face of an unsure sighting (the review queue shows it to a teacher),
and of no other face unless ``keep_thumbnails`` is on.

A scripted recogniser reports three faces per frame: one recognised and sure, one unknown
but just beyond a student's threshold (unsure), one clearly nobody. No LFW or dlib needed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Sighting, Student
from attendance.services.cameras import create_camera
from attendance.services.consent import ensure_consent
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.worker import CameraWorker, FakeClock
from attendance.worker.recognition import FaceResult, FrameAnalysis
from attendance.worker.thumbnails import keeps_thumbnail, read_thumbnail

from .conftest import END, START


def _figures(distance: float, candidate: int, accepted: bool) -> dict[str, Any]:
    return {"dlib": {"distance": distance, "threshold": 0.55, "version": "test",
                     "candidate": candidate, "accepted": accepted}}


class _ThreeFaces:
    """A recogniser stand-in seeing the same three faces in every frame."""

    model_versions = {"dlib": "test"}

    def __init__(self, student_id: int) -> None:
        self.student_id = student_id

    def analyse(self, frame: NDArray[np.uint8], galleries: Any, **_: Any) -> FrameAnalysis:
        s = self.student_id
        return FrameAnalysis([
            FaceResult((10, 70, 70, 10), s, _figures(0.30, s, True)),  # sure
            FaceResult((10, 170, 70, 110), None, _figures(0.60, s, False)),  # unsure
            FaceResult((10, 270, 70, 210), None, _figures(0.95, s, False)),  # nobody
        ])


class _Camera:
    description = "scripted test camera"

    def __init__(self) -> None:
        self.reads = 0

    def open(self) -> None:
        pass

    def read(self) -> NDArray[np.uint8]:
        self.reads += 1
        return np.full((120, 320, 3), 60 + self.reads, dtype=np.uint8)

    def close(self) -> None:
        pass


def _tick(factory: sessionmaker[Session], settings: Settings) -> dict[str, Sighting]:
    with factory.begin() as session:
        camera = create_camera(session, name="room-9", source="0")
        course = create_course(session, code="REV1", name="Review", timezone="UTC",
                               camera_name="room-9")
        student = Student(student_number="R1", display_name="Gerhard")
        session.add(student)
        session.flush()
        add_to_roster(session, course.id, student_ids=[student.id])
        ensure_consent(session, student.id, given_by="Gerhard", notice_version="1",
                       actor="test")
        class_session = create_adhoc_session(session, course_id=course.id, starts_at=START,
                                             ends_at=END)
        ids = (camera.id, class_session.id, student.id)
    camera_id, session_id, student_id = ids
    worker = CameraWorker(settings, camera_id=camera_id, camera_name="room-9",
                          session_factory=factory,
                          recognizer=_ThreeFaces(student_id),  # type: ignore[arg-type]
                          frame_source_factory=_Camera,
                          clock=FakeClock(START + timedelta(minutes=1)))
    report = worker.tick(session_id)
    worker.close()
    assert report.faces == 3
    with factory() as session:
        rows = session.scalars(select(Sighting).order_by(Sighting.box_left)).all()
    return dict(zip(("sure", "unsure", "nobody"), rows, strict=True))


def _kept(settings: Settings) -> set[str]:
    return {p.stem for p in (settings.instance_path / "thumbnails").glob("*/*.jpg")}


def test_only_the_unsure_face_is_kept_by_default(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
) -> None:
    settings = worker_settings()
    assert not settings.keep_thumbnails
    seen = _tick(session_factory, settings)
    unsure = seen["unsure"]
    assert _kept(settings) == {unsure.dedupe_key}
    path = next((settings.instance_path / "thumbnails").glob("*/*.jpg"))
    assert path.read_bytes().startswith(b"ATTENC1:")  # encrypted like every thumbnail
    assert unsure.dedupe_key is not None
    jpeg = read_thumbnail(path, unsure.dedupe_key, TemplateCipher.from_settings(settings))
    assert jpeg.startswith(b"\xff\xd8")


def test_keep_thumbnails_keeps_every_face(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
) -> None:
    settings = worker_settings(keep_thumbnails=True)
    seen = _tick(session_factory, settings)
    assert _kept(settings) == {s.dedupe_key for s in seen.values()}


def test_review_retention_zero_keeps_no_face(
    session_factory: sessionmaker[Session], worker_settings: Callable[..., Settings],
) -> None:
    settings = worker_settings(review_thumbnail_retention_days=0)
    _tick(session_factory, settings)
    assert _kept(settings) == set()


@pytest.mark.parametrize(("keep", "review_days", "figures", "student", "kept"), [
    (False, 14, _figures(0.30, 7, True), 7, False),  # sure
    (False, 14, _figures(0.60, 7, False), None, True),  # just beyond: unsure
    (False, 14, _figures(0.95, 7, False), None, False),  # clearly nobody
    (False, 0, _figures(0.60, 7, False), None, False),  # review thumbnails off
    (True, 0, _figures(0.95, 7, False), None, True),  # keep_thumbnails: every face
])
def test_keeps_thumbnail_rule(
    worker_settings: Callable[..., Settings], keep: bool, review_days: int,
    figures: dict[str, Any], student: int | None, kept: bool,
) -> None:
    settings = worker_settings(keep_thumbnails=keep, review_thumbnail_retention_days=review_days)
    assert keeps_thumbnail(settings, figures, student) is kept
