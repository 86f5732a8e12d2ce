"""The enrollment form's look-alike step: "looks like <number> <name> (distance)", the two
faces side by side where a photo is kept, a confirmation tied to the user and to the
students shown, the name only for those who may see the student, and a note that chosen
files must be chosen again.

Photos here are plain grey squares; a stand-in model turns a square's grey level into a
point on a line (level / 100), so distances are chosen exactly: 1.00 vs 1.45 is a look-alike
(0.45: above the duplicate threshold 0.35, within the match threshold 0.55), 1.00 vs 1.20 a
duplicate, 1.00 vs 2.00 nobody.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AuditLog, FacePhoto, Student
from attendance.detection import DetectedFace
from enrollment import QualityReport
from models import FaceInput
from webui import create_app

from .conftest import AuthActions, Classroom

TOKEN = re.compile(r'name="lookalike_token" type="hidden" value="([^"]+)"')


class GreyLevelEmbedder:
    """A face's embedding is its grey level / 100 on the first axis."""

    name = "dlib"
    version = "grey"
    dimension = 8

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        out = np.zeros((len(faces), self.dimension), dtype=np.float32)
        for i, face in enumerate(faces):
            out[i, 0] = float(face.image[0, 0, 0]) / 100.0
        return out


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> Flask:
    def whole_image_is_a_face(image: NDArray[np.uint8], settings: Settings, *,
                              filename: str) -> QualityReport:
        height, width = image.shape[:2]
        face = DetectedFace(box=(0, width, height, 0), landmarks=np.zeros((5, 2), np.float32))
        return QualityReport(face=face, face_pixels=height, sharpness=100.0, brightness=128.0)

    monkeypatch.setattr("enrollment.service.assess_photo", whole_image_is_a_face)
    return create_app(settings, overrides={
        "TESTING": True, "WTF_CSRF_ENABLED": False, "SESSION_FACTORY": session_factory,
        "EMBEDDERS": [GreyLevelEmbedder()]})


def _grey(level: int) -> tuple[io.BytesIO, str]:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 120), (level, level, level)).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer, f"grey-{level}.png"


def _enroll(client: FlaskClient, course_id: int, number: str, level: int,
            **extra: Any) -> tuple[int, str]:
    response = client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": number, "display_name": f"Name {number}", "consent": "y",
        "course": str(course_id), "photos": [_grey(level)], **extra})
    return response.status_code, response.get_data(as_text=True)


def test_a_lookalike_is_shown_side_by_side_and_stored_once_confirmed(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    assert _enroll(client, classroom.course_id, "S100", 100)[0] == 200
    status, page = _enroll(client, classroom.course_id, "S101", 145)
    assert status == 422
    assert "Looks like S100 Name S100" in page
    assert "dlib distance 0.450; recognition accepts up to 0.550" in page
    assert 'src="data:image/jpeg;base64,' in page  # the new face
    with session_factory() as session:
        s100 = session.scalar(select(Student.id).where(Student.student_number == "S100"))
        photo = session.scalar(select(FacePhoto.id).where(FacePhoto.student_id == s100))
    kept = f"/students/{s100}/photos/{photo}.jpg"
    assert f'src="{kept}"' in page  # the enrolled student's kept photo beside it
    image = client.get(kept)
    assert (image.status_code, image.mimetype) == (200, "image/jpeg")
    assert image.headers["Cache-Control"] == "no-store"
    assert "Choose the photos again before you send the form" in page
    assert 'value="S101"' in page  # the other fields are kept
    match = TOKEN.search(page)
    assert match is not None
    # Sent again without ticking the box: asked again, nothing stored.
    assert _enroll(client, classroom.course_id, "S101", 145,
                   lookalike_token=match.group(1))[0] == 422
    status, page = _enroll(client, classroom.course_id, "S101", 145,
                           lookalike_token=match.group(1), confirm_different="y")
    assert status == 200, page
    assert "Student S101 enrolled: 1 photo(s) accepted" in page
    with session_factory() as session:
        entry = session.scalars(select(AuditLog).where(
            AuditLog.action == "student.enroll.lookalike_confirmed")).one()
    assert (entry.actor, entry.details["looks_like"]) == ("alice", "S100")


def test_a_confirmation_is_the_users_own_and_for_the_students_shown(
    app: Flask, client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("alice")
    _enroll(client, classroom.course_id, "S100", 100)
    _, page = _enroll(client, classroom.course_id, "S101", 145)
    match = TOKEN.search(page)
    assert match is not None
    bob = app.test_client()
    bob.post("/auth/login", data={"username": "bob", "password": "correct horse battery"})
    status, page = _enroll(bob, classroom.other_course_id, "S102", 145,
                           lookalike_token=match.group(1), confirm_different="y")
    assert status == 422  # Alice's token does not confirm anything for Bob
    # S100 is not Bob's student: he is told there is a look-alike, not who.
    assert "Looks like a student enrolled in another class" in page
    assert "S100" not in page
    assert "/photos/" not in page  # and sees no photo of them
    match = TOKEN.search(page)
    assert match is not None
    status, _ = _enroll(bob, classroom.other_course_id, "S102", 145,
                        lookalike_token=match.group(1), confirm_different="y")
    assert status == 200


def test_a_duplicate_is_refused_without_a_confirmation(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("alice")
    _enroll(client, classroom.course_id, "S100", 100)
    status, page = _enroll(client, classroom.course_id, "S101", 120)
    assert status == 422
    assert "looks like S100 Name S100 (dlib distance 0.200, duplicate threshold 0.350)" in page
    assert "confirm_different" not in page
    status, page = _enroll(client, classroom.course_id, "S102", 200)  # nobody alike
    assert status == 200


def test_kept_photos_are_shown_only_to_who_may_see_the_student(
    app: Flask, client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    _enroll(client, classroom.course_id, "S100", 100)
    with session_factory() as session:
        photo = session.scalars(select(FacePhoto)).one()
    url = f"/students/{photo.student_id}/photos/{photo.id}.jpg"
    assert client.get(url).status_code == 200
    assert client.get(f"/students/{classroom.student_ids[0]}/photos/{photo.id}.jpg"
                      ).status_code == 404  # another student's id in the URL
    bob = app.test_client()
    bob.post("/auth/login", data={"username": "bob", "password": "correct horse battery"})
    assert bob.get(url).status_code == 404
