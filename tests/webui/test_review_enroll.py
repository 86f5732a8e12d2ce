"""Review queue: a confirmed sighting's face thumbnail added to the student's enrollment photos."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import AttendanceRecord, FacePhoto, ReviewDecision
from attendance.detection import DetectedFace
from attendance.services.consent import give_consent, withdraw_consent
from attendance.services.sightings import record_sighting
from attendance.worker.thumbnails import save_thumbnail
from enrollment import QualityReport

from .conftest import AuthActions, Classroom

SEEN_AT = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)
CHECKBOX = 'name="add_photo"'


def _unsure_sighting(factory: sessionmaker[Session], classroom: Classroom, settings: Settings,
                     *, thumbnail: bool) -> int:
    """An unsure sighting of the first student (who has consent), with or without a kept,
    encrypted face thumbnail."""
    first = classroom.student_ids[0]
    with factory.begin() as session:
        give_consent(session, first, given_by="Zoë Ångström", notice_version="v1",
                     actor="admin", recorded_by="admin")
        outcome = record_sighting(
            session, class_session_id=classroom.session_id, student_id=None, seen_at=SEEN_AT,
            box=(20, 180, 180, 20), dedupe_key="cam1-0001", min_sightings=2,
            evidence={"dlib": {"distance": 0.55, "threshold": 0.5, "version": "v1",
                               "candidate": first, "accepted": False}})
        sighting_id = outcome.sighting.id
    if thumbnail:
        frame = np.full((200, 200, 3), 128, dtype=np.uint8)
        assert save_thumbnail(settings.instance_path, SEEN_AT, "cam1-0001", frame,
                              (20, 180, 180, 20), TemplateCipher.from_settings(settings))
    return sighting_id


def _photos(factory: sessionmaker[Session], student_id: int) -> list[FacePhoto]:
    with factory() as session:
        return list(session.scalars(select(FacePhoto).where(FacePhoto.student_id == student_id)))


def _counted(factory: sessionmaker[Session], student_id: int) -> bool:
    with factory() as session:
        return session.scalar(select(AttendanceRecord.id).where(
            AttendanceRecord.student_id == student_id)) is not None


def test_confirmed_face_is_added_to_enrollment_photos(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=True)
    first = classroom.student_ids[0]
    seen: list[tuple[int, ...]] = []

    def one_good_face(image: np.ndarray, settings: Settings, *, filename: str) -> QualityReport:
        seen.append(image.shape)  # the decrypted thumbnail really was decoded
        height, width = image.shape[:2]
        face = DetectedFace(box=(0, width, height, 0), landmarks=np.zeros((5, 2), np.float32))
        return QualityReport(face=face, face_pixels=height, sharpness=100.0, brightness=128.0)

    monkeypatch.setattr("enrollment.service.assess_photo", one_good_face)
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert CHECKBOX in page
    assert "also add the first face to Zoë Ångström's enrollment photos" in page
    response = client.post(f"/sightings/{sighting_id}/confirm",
                           data={"student_id": first, "add_photo": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström." in text
    assert "The face from this sighting was added to Zoë Ångström&#39;s enrollment photos." in text
    assert seen == [(96, 96, 3)]
    assert len(_photos(session_factory, first)) == 1
    assert _counted(session_factory, first)


def test_refused_thumbnail_is_reported_and_the_verdict_stands(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    """A flat grey thumbnail goes through the real checks: no face, refused, said so."""
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=True)
    first = classroom.student_ids[0]
    auth.login("alice")
    response = client.post(f"/sightings/{sighting_id}/confirm",
                           data={"student_id": first, "add_photo": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström." in text
    assert (f"The face from this sighting was not added to Zoë Ångström&#39;s enrollment "
            f"photos: sighting {sighting_id} thumbnail: no face found") in text
    assert _photos(session_factory, first) == []
    assert _counted(session_factory, first)


def test_without_thumbnail_the_option_is_not_offered(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=False)
    first = classroom.student_ids[0]
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert f'name="upto" value="{sighting_id}"' in page
    assert CHECKBOX not in page
    assert "No face kept for these sightings" in page
    # A hand-made request asking for it anyway only gets the verdict.
    response = client.post(f"/sightings/{sighting_id}/confirm",
                           data={"student_id": first, "add_photo": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström." in text
    assert "No face thumbnail is kept for this sighting" in text
    assert _photos(session_factory, first) == []


def test_adding_a_face_is_scoped_to_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=True)
    first = classroom.student_ids[0]
    auth.login("bob")
    response = client.post(f"/sightings/{sighting_id}/confirm",
                           data={"student_id": first, "add_photo": "y"})
    assert response.status_code == 404
    assert _photos(session_factory, first) == []
    with session_factory() as session:
        assert session.scalars(select(ReviewDecision)).all() == []


def test_no_face_is_added_without_consent(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    """Consent withdrawn after the camera's unsure sighting: confirming it (and adding the
    face) is refused, nothing is counted and no photo is added."""
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=True)
    first = classroom.student_ids[0]
    with session_factory.begin() as session:
        withdraw_consent(session, first, actor="admin")
    auth.login("alice")
    response = client.post(f"/sightings/{sighting_id}/confirm",
                           data={"student_id": first, "add_photo": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no active consent to face recognition" in text
    assert "Counted for" not in text
    assert _photos(session_factory, first) == []
    assert not _counted(session_factory, first)


def test_yes_for_a_group_can_add_its_closest_face(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The group's one "yes" counts the sighting and enrolls its kept face."""
    sighting_id = _unsure_sighting(session_factory, classroom, settings, thumbnail=True)
    first = classroom.student_ids[0]

    def one_good_face(image: np.ndarray, settings: Settings, *, filename: str) -> QualityReport:
        height, width = image.shape[:2]
        face = DetectedFace(box=(0, width, height, 0), landmarks=np.zeros((5, 2), np.float32))
        return QualityReport(face=face, face_pixels=height, sharpness=100.0, brightness=128.0)

    monkeypatch.setattr("enrollment.service.assess_photo", one_good_face)
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    assert f'src="/sightings/{sighting_id}/thumbnail.jpg"' in page
    response = client.post(f"/sessions/{classroom.session_id}/review/{first}/confirm",
                           data={"upto": sighting_id, "add_photo": "y"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Counted for Zoë Ångström: 1 sighting(s) confirmed." in text
    assert "The face from this sighting was added to Zoë Ångström&#39;s enrollment photos." in text
    assert len(_photos(session_factory, first)) == 1
    assert _counted(session_factory, first)
