"""Sighting thumbnails on the dashboard: served decrypted and scoped, shown on the session and
evidence pages with the best match's distance."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import numpy as np
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import FILE_MAGIC, TemplateCipher
from attendance.services.sightings import record_sighting
from attendance.thumbnail_files import thumbnail_path
from attendance.worker.thumbnails import save_thumbnail

from .conftest import AuthActions, Classroom, consent_for

SEEN_AT = datetime(2026, 3, 2, 8, 1, tzinfo=UTC)
JPEG_MAGIC = b"\xff\xd8\xff"


def _sightings(factory: sessionmaker[Session], classroom: Classroom, settings: Settings,
               *, thumbnail: bool) -> tuple[int, int]:
    """Two sightings of the first student (dlib 0.48, then 0.41, threshold 0.55); the closer
    one's thumbnail is kept, encrypted, when ``thumbnail``. Returns their ids."""
    first = classroom.student_ids[0]
    ids = []
    with factory.begin() as session:
        consent_for(session, classroom.student_ids)
        for n, (minute, distance) in enumerate(((1, 0.48), (3, 0.41))):
            outcome = record_sighting(
                session, class_session_id=classroom.session_id, student_id=first,
                seen_at=SEEN_AT.replace(minute=minute), box=(20, 180, 180, 20),
                dedupe_key=f"cam1-{n:04d}", min_sightings=2,
                evidence={"dlib": {"distance": distance, "threshold": 0.55, "version": "v1",
                                   "candidate": first, "accepted": True},
                          # Another student's figure never counts as this student's match.
                          "arcface": {"distance": 0.1, "threshold": 0.4, "version": "v1",
                                      "candidate": classroom.student_ids[1],
                                      "accepted": False}})
            ids.append(outcome.sighting.id)
    if thumbnail:
        frame = np.full((200, 200, 3), 128, dtype=np.uint8)
        assert save_thumbnail(settings.instance_path, SEEN_AT.replace(minute=3), "cam1-0001",
                              frame, (20, 180, 180, 20), TemplateCipher.from_settings(settings))
    return ids[0], ids[1]


def test_thumbnail_is_served_decrypted(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _, best = _sightings(session_factory, classroom, settings, thumbnail=True)
    stored = thumbnail_path(settings.instance_path, SEEN_AT.replace(minute=3), "cam1-0001")
    assert stored.read_bytes().startswith(FILE_MAGIC)  # encrypted at rest
    auth.login("alice")
    response = client.get(f"/sightings/{best}/thumbnail.jpg")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data.startswith(JPEG_MAGIC)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_another_teacher_gets_404(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _, best = _sightings(session_factory, classroom, settings, thumbnail=True)
    auth.login("bob")
    assert client.get(f"/sightings/{best}/thumbnail.jpg").status_code == 404
    assert client.get("/sightings/999999/thumbnail.jpg").status_code == 404


def test_no_file_is_404(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    earlier, best = _sightings(session_factory, classroom, settings, thumbnail=True)
    auth.login("alice")
    assert client.get(f"/sightings/{earlier}/thumbnail.jpg").status_code == 404
    thumbnail_path(settings.instance_path, SEEN_AT.replace(minute=3), "cam1-0001").unlink()
    assert client.get(f"/sightings/{best}/thumbnail.jpg").status_code == 404


def test_session_page_shows_best_distance_and_thumbnail(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _, best = _sightings(session_factory, classroom, settings, thumbnail=True)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "dlib 0.41 / 0.55" in page
    assert "arcface" not in page  # its figure was about another student
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 1
    assert f'src="/sightings/{best}/thumbnail.jpg"' in images[0]
    assert 'alt="Face of the best sighting of Zoë Ångström, at 09:03:00"' in images[0]


def test_session_page_without_thumbnail_has_no_img(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    _sightings(session_factory, classroom, settings, thumbnail=False)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "dlib 0.41 / 0.55" in page
    assert "<img" not in page


def test_evidence_page_shows_each_kept_thumbnail(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    earlier, best = _sightings(session_factory, classroom, settings, thumbnail=True)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}/students/"
                      f"{classroom.student_ids[0]}/evidence").get_data(as_text=True)
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 1
    assert f'src="/sightings/{best}/thumbnail.jpg"' in images[0]
    assert 'alt="Face seen at 09:03:00"' in images[0]
    assert f"/sightings/{earlier}/thumbnail.jpg" not in page
    assert "no thumbnail kept" in page
