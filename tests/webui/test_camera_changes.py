"""Changing and removing a camera on the dashboard (admins): the source's credentials are
never shown and are kept unless replaced; a camera filming courses asks before it goes."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import AuditLog, Camera, Course
from attendance.services.cameras import camera_source, create_camera

from .conftest import AuthActions, Classroom

SOURCE = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream?pwd=S3cret"


def _add(factory: sessionmaker[Session], settings: Settings, classroom: Classroom | None
         ) -> int:
    with factory.begin() as session:
        camera = create_camera(session, name="room-1", source=SOURCE,
                               cipher=TemplateCipher.from_settings(settings))
        if classroom is not None:
            course = session.get(Course, classroom.course_id)
            assert course is not None
            course.camera_id = camera.id
        return camera.id


def test_the_edit_page_never_shows_credentials_and_keeps_them(
    client: FlaskClient, auth: AuthActions, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    camera_id = _add(session_factory, settings, None)
    auth.login("admin")
    assert f'href="/cameras/{camera_id}/edit"' in client.get("/cameras/").get_data(as_text=True)
    page = client.get(f"/cameras/{camera_id}/edit").get_data(as_text=True)
    assert "rtsp://cam.local:554/stream?pwd=***" in page
    for secret in ("ssW0rd", "S3cret", "admin:"):
        assert secret not in page
    saved = client.post(f"/cameras/{camera_id}/edit", data={"name": "room-101", "source": ""},
                        follow_redirects=True)
    assert "Camera room-101: name saved." in saved.get_data(as_text=True)
    with session_factory() as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None
        assert camera.name == "room-101"
        assert camera_source(camera, TemplateCipher.from_settings(settings)) == SOURCE
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "camera.update")).one()
    assert entry.actor == "admin"


def test_a_new_source_replaces_the_old(client: FlaskClient, auth: AuthActions,
                                       settings: Settings,
                                       session_factory: sessionmaker[Session]) -> None:
    camera_id = _add(session_factory, settings, None)
    auth.login("admin")
    new = "rtsp://viewer:An0ther@cam.local:554/main"
    client.post(f"/cameras/{camera_id}/edit", data={"name": "room-1", "source": new})
    with session_factory() as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None
        assert camera.source == "rtsp://cam.local:554/main"
        assert camera_source(camera, TemplateCipher.from_settings(settings)) == new


def test_bad_edits_answer_4xx_with_a_reason(client: FlaskClient, auth: AuthActions,
                                            settings: Settings,
                                            session_factory: sessionmaker[Session]) -> None:
    camera_id = _add(session_factory, settings, None)
    with session_factory.begin() as session:
        create_camera(session, name="room-2", source="1")
    auth.login("admin")
    taken = client.post(f"/cameras/{camera_id}/edit", data={"name": "room-2"})
    assert taken.status_code == 409
    assert "a camera named &#39;room-2&#39; already exists" in taken.get_data(as_text=True)
    bad = client.post(f"/cameras/{camera_id}/edit", data={"name": "room-1",
                                                          "source": "ftp://x/y"})
    assert bad.status_code == 400
    assert "is not supported" in bad.get_data(as_text=True)
    assert client.post(f"/cameras/{camera_id}/edit", data={"name": ""}).status_code == 400
    assert client.get("/cameras/999999/edit").status_code == 404


def test_removing_a_camera_in_use_asks_to_detach_or_cancel(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    camera_id = _add(session_factory, settings, classroom)
    auth.login("admin")
    page = client.get(f"/cameras/{camera_id}/remove").get_data(as_text=True)
    assert "room-1 films 1 course(s):" in page
    assert "BIO101" in page
    assert "Detach it from 1 course(s) and remove it" in page
    assert "Cancel, keep it" in page
    refused = client.post(f"/cameras/{camera_id}/remove", data={})  # no answer to the question
    assert refused.status_code == 409
    assert "Detach it from them to remove it, or cancel." in refused.get_data(as_text=True)
    done = client.post(f"/cameras/{camera_id}/remove", data={"detach": "y"},
                       follow_redirects=True)
    assert "Camera room-1 removed. It was detached from BIO101" in done.get_data(as_text=True)
    with session_factory() as session:
        assert session.get(Camera, camera_id) is None
        course = session.get(Course, classroom.course_id)
        assert course is not None
        assert course.camera_id is None


def test_teachers_cannot_change_or_remove_cameras(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    camera_id = _add(session_factory, settings, classroom)
    auth.login("alice")  # the camera films her course: she sees it, but only that
    assert "/edit" not in client.get("/cameras/").get_data(as_text=True)
    for method, url in (("GET", f"/cameras/{camera_id}/edit"),
                        ("POST", f"/cameras/{camera_id}/edit"),
                        ("GET", f"/cameras/{camera_id}/remove"),
                        ("POST", f"/cameras/{camera_id}/remove")):
        response = client.open(url, method=method, data={"name": "mine", "detach": "y"})
        assert response.status_code == 403, url
    with session_factory() as session:
        assert session.get(Camera, camera_id) is not None
