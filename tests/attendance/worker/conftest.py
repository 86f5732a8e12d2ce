"""Worker fixtures: LFW faces, their dlib embeddings (once per run), a classroom in the DB.

LFW is located by the suite's shared helper :func:`tests.lfw_faces.lfw_root`
(``ATTENDANCE_LFW_DIR`` holding ``lfw-deepfunneled/``, else the few people needed unpacked
from ``<repo>/../shared/datasets/lfw/lfw-deepfunneled.tgz`` into pytest's cache, never into
the repository); without either the LFW tests are skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import Consent, FaceEmbedding, FacePhoto, Student, vector_to_bytes
from attendance.services.cameras import create_camera
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from models import Embedder
from tests.conftest import make_settings
from tests.lfw_faces import lfw_root

#: Enrolled (on the roster) with photos 1 and 2; the video uses other photos of them.
ROSTER = ("Colin_Powell", "Donald_Rumsfeld", "Gerhard_Schroeder", "Ariel_Sharon")
#: Enrolled in the school but not on this course's roster.
OFF_ROSTER = ("Hugo_Chavez",)
#: Never enrolled anywhere.
STRANGERS = ("Serena_Williams",)
PEOPLE = ROSTER + OFF_ROSTER + STRANGERS
ENROLL_PHOTOS = (1, 2)

#: Session under test: 10:00-10:10 UTC, late after 3 minutes, capture from 09:59 every 30 s.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=10)
LATE_AFTER_MIN = 3
GRACE_MIN = 1
INTERVAL_S = 30.0


@pytest.fixture(scope="session")
def lfw_dir(request: pytest.FixtureRequest) -> Path:
    """A folder of ``<Person>/<Person>_NNNN.jpg`` holding at least :data:`PEOPLE` (the
    shared LFW helper of the test suite: ``ATTENDANCE_LFW_DIR`` or the archive, else skip)."""
    assert request.config.cache is not None
    root = lfw_root(request.config.cache)
    missing = [p for p in PEOPLE if not (root / p).is_dir()]
    if missing:
        pytest.skip(f"LFW at {root} lacks {', '.join(missing)}")
    return root


def lfw_photo(lfw: Path, person: str, number: int) -> Path:
    return lfw / person / f"{person}_{number:04d}.jpg"


@pytest.fixture(scope="session")
def dlib_embedder() -> Embedder:
    from models import load_embedders

    return load_embedders(["dlib"])[0]


@pytest.fixture(scope="session")
def enrollment_vectors(
    lfw_dir: Path, dlib_embedder: Embedder
) -> dict[str, list[NDArray[np.float32]]]:
    """dlib embeddings of each enrolled person's enrollment photos (computed once)."""
    import cv2

    from attendance.detection import detect_faces, face_inputs

    vectors: dict[str, list[NDArray[np.float32]]] = {}
    for person in ROSTER + OFF_ROSTER:
        for number in ENROLL_PHOTOS:
            bgr = cv2.imread(str(lfw_photo(lfw_dir, person, number)))
            assert bgr is not None
            rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            faces = detect_faces(rgb)[:1]
            assert faces, f"no face in enrollment photo {person} {number}"
            vectors.setdefault(person, []).append(dlib_embedder.embed(face_inputs(rgb, faces))[0])
    return vectors


@dataclass
class Classroom:
    """Ids of what :func:`make_classroom` stored."""

    camera_name: str
    camera_id: int
    course_id: int
    class_session_id: int
    students: dict[str, int]


def make_classroom(
    factory: sessionmaker[Session],
    vectors: dict[str, list[NDArray[np.float32]]],
    *,
    source: str,
    model_version: str = "dlib_face_recognition_resnet_model_v1",
) -> Classroom:
    """Camera, course (late after 3 min) with an ad-hoc 10:00-10:10 session, the roster of
    :data:`ROSTER` and the off-roster students, each with their stored embeddings."""
    with factory.begin() as session:
        camera = create_camera(session, name="room-101", source=source)
        course = create_course(session, code="CS101", name="Intro", timezone="UTC",
                               late_after_minutes=LATE_AFTER_MIN, camera_name="room-101")
        students: dict[str, int] = {}
        for number, (person, person_vectors) in enumerate(sorted(vectors.items())):
            student = Student(student_number=f"S{number:03d}", display_name=person)
            session.add(student)
            session.flush()
            students[person] = student.id
            session.add(Consent(student_id=student.id, given_by=person, relation="student",
                                notice_version="1", recorded_by="test"))
            for i, vector in enumerate(person_vectors):
                photo = FacePhoto(student_id=student.id, content_hash=f"{person}-{i}",
                                  width=250, height=250, face_pixels=110, sharpness=100.0,
                                  brightness=120.0)
                session.add(photo)
                session.flush()
                session.add(FaceEmbedding(
                    student_id=student.id, photo_id=photo.id, model_name="dlib",
                    model_version=model_version, dimension=len(vector),
                    vector=vector_to_bytes(vector),
                ))
        add_to_roster(session, course.id,
                      student_ids=[students[p] for p in ROSTER if p in students])
        class_session = create_adhoc_session(session, course_id=course.id, starts_at=START,
                                             ends_at=END)
        return Classroom(camera.name, camera.id, course.id, class_session.id, students)


@pytest.fixture
def worker_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for the scenario: 30 s interval, 1 min grace, 2 sightings, dlib only."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "capture_interval_seconds": INTERVAL_S,
            "capture_grace_minutes": GRACE_MIN,
            "min_sightings": 2,
            "embedders": ("dlib",),
            "camera_read_timeout_seconds": 20.0,
            # The scenario video holds one frame per capture: play it frame by frame.
            "camera_file_playback": "frames",
        }
        values.update(overrides)
        return make_settings(tmp_path, **values)

    return build
