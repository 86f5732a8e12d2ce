"""No page shows a camera's credentials, and the dashboard stores them only encrypted."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import AuditLog, Camera, Course, utcnow
from attendance.services.cameras import camera_source

from .conftest import AuthActions, Classroom

SOURCE = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream?pwd=S3cret&channel=1"
SECRETS = ("Pa/ssW0rd", "ssW0rd", "S3cret", "admin:")


def _clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_added_camera_is_stored_encrypted_and_shown_redacted(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    response = client.post("/cameras/", data={"name": "room-9", "source": SOURCE})
    assert response.status_code == 302
    with session_factory.begin() as session:
        camera = session.scalars(select(Camera)).one()
        assert camera.source == "rtsp://cam.local:554/stream?pwd=***&channel=1"
        assert camera.source_secret is not None
        _clean(camera.source_secret.decode("latin-1"))
        assert camera_source(camera, TemplateCipher.from_settings(settings)) == SOURCE
        _clean(" ".join(str(a.details) for a in session.scalars(select(AuditLog))))
        course = session.get(Course, classroom.course_id)
        assert course is not None
        course.camera_id = camera.id
    for page in ("/cameras/", "/courses/", f"/courses/{classroom.course_id}",
                 f"/courses/{classroom.course_id}/edit"):
        body = client.get(page).get_data(as_text=True)
        _clean(body)
    assert "rtsp://cam.local:554/stream?pwd=***&amp;channel=1" in client.get(
        "/cameras/").get_data(as_text=True)


def test_rows_stored_in_plain_form_and_old_errors_are_redacted_on_the_page(
    client: FlaskClient, auth: AuthActions, session_factory: sessionmaker[Session],
) -> None:
    now = utcnow()
    with session_factory.begin() as session:
        session.add_all([
            Camera(name="old-1", source="rtsp://admin:p@ssW0rd@cam.local/stream"),
            Camera(name="old-2", source="rtsp://admin:Pa/ssW0rd@cam.local:554/stream",
                   last_heartbeat_at=now,
                   last_error=f"{now.isoformat(timespec='seconds')} cannot open "
                              "http://cam.local/x?user=admin&pwd=S3cret: timeout"),
        ])
    auth.login("admin")
    page = client.get("/cameras/").get_data(as_text=True)
    _clean(page)
    assert "p@ss" not in page
    assert "rtsp://cam.local/stream" in page
    assert "rtsp://cam.local:554/stream" in page
    assert "http://cam.local/x?user=***&amp;pwd=***: timeout" in page


def test_refused_source_error_does_not_echo_the_password(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login("admin")
    response = client.post("/cameras/", data={"name": "bad", "source":
                                              "ftp://admin:Pa/ssW0rd@cam.local/x"})
    assert response.status_code == 400
    flashes = response.get_data(as_text=True).split('name="source"')[0]
    assert "is not supported" in flashes
    _clean(flashes)
