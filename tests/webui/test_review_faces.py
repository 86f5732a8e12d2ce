"""Review with faces: each question shows the group's closest likenesses that have a kept
thumbnail (at most 3), and the retention of those faces is stated on the privacy page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.services.sightings import record_sighting
from attendance.worker.thumbnails import save_thumbnail

from .conftest import AuthActions, Classroom, consent_for


def _faces(factory: sessionmaker[Session], classroom: Classroom, settings: Settings,
           distances: list[float], kept: set[int]) -> list[int]:
    """Unsure sightings of the first student at ``distances``; the faces of those whose index
    is in ``kept`` are stored (encrypted) as the worker stores them. Their ids."""
    first = classroom.student_ids[0]
    ids = []
    cipher = TemplateCipher.from_settings(settings)
    with factory.begin() as session:
        consent_for(session, [first])
        for i, distance in enumerate(distances):
            seen = datetime(2026, 3, 2, 8, 10 + i, tzinfo=UTC)
            key = f"cam-{i:04d}"
            outcome = record_sighting(
                session, class_session_id=classroom.session_id, student_id=None, seen_at=seen,
                box=(20, 180, 180, 20), dedupe_key=key, min_sightings=2,
                evidence={"dlib": {"distance": distance, "threshold": 0.5, "version": "v1",
                                   "candidate": first, "accepted": False}})
            ids.append(outcome.sighting.id)
            if i in kept:
                frame = np.full((200, 200, 3), 100 + i, dtype=np.uint8)
                assert save_thumbnail(settings.instance_path, seen, key, frame,
                                      (20, 180, 180, 20), cipher)
    return ids


def test_a_question_shows_the_three_closest_kept_faces(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    distances = [0.59, 0.51, 0.56, 0.53, 0.52]
    ids = _faces(session_factory, classroom, settings, distances, kept={0, 2, 3, 4})
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/review").get_data(as_text=True)
    shown = re.findall(r'<img class="face" src="/sightings/(\d+)/thumbnail.jpg"', page)
    # Closest first: 0.51 has no kept face, so 0.52, 0.53, 0.56; never 0.59.
    assert [int(i) for i in shown] == [ids[4], ids[3], ids[2]]
    assert "closest likeness 1 of 3" in page
    assert "5 sighting(s), 09:10–09:14" in page
    assert "closest: dlib distance 0.510 just above its threshold 0.50" in page
    for sighting_id in (ids[4], ids[3], ids[2]):
        image = client.get(f"/sightings/{sighting_id}/thumbnail.jpg")
        assert (image.status_code, image.mimetype) == (200, "image/jpeg")


def test_the_evidence_page_shows_kept_review_faces(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    ids = _faces(session_factory, classroom, settings, [0.52, 0.55], kept={0})
    first = classroom.student_ids[0]
    auth.login("alice")
    client.post(f"/sessions/{classroom.session_id}/review/{first}/confirm",
                data={"upto": ids[-1]})
    page = client.get(f"/sessions/{classroom.session_id}/students/{first}/evidence"
                      ).get_data(as_text=True)
    assert f'src="/sightings/{ids[0]}/thumbnail.jpg"' in page
    assert "Face thumbnails are kept only of the sightings the camera was unsure about, for " \
           "14 day(s)" in page
    assert "1 of these 2 sighting(s) have one." in page


def test_the_privacy_page_states_how_long_review_faces_stay(
    client: FlaskClient, auth: AuthActions,
) -> None:
    auth.login("bob")
    page = client.get("/privacy").get_data(as_text=True)
    assert "Thumbnails of unsure faces (the review queue shows them to the teacher)" in page
    assert "<td>14 day(s)</td>" in page
    assert "review_thumbnail_retention_days" in page
