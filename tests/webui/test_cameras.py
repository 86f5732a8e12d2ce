"""Cameras page: heartbeat health, next session, role scoping, and adding a camera."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, Camera, ClassSession, Course, utcnow
from attendance.services.camera_health import Health, health, redact_source
from attendance.worker import WorkerState
from webui.workers import WORKERS_KEY

from .conftest import AuthActions, Classroom

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("heartbeat", "error", "expected"), [
    (None, None, Health.NEVER),
    (NOW - timedelta(seconds=30), None, Health.ALIVE),
    (NOW - timedelta(minutes=5), None, Health.STALE),
    (NOW - timedelta(seconds=30), "2026-03-02T09:58:00+00:00 camera lost", Health.FAILING),
    (NOW - timedelta(seconds=30), "2026-03-02T08:00:00+00:00 camera lost", Health.ALIVE),
    (NOW - timedelta(minutes=30), "2026-03-02T08:00:00+00:00 camera lost", Health.STALE),
    (NOW - timedelta(minutes=1), "no time stamp", Health.FAILING),
])
def test_health_rules(heartbeat: datetime | None, error: str | None, expected: Health) -> None:
    camera = Camera(name="c", source="0", last_heartbeat_at=heartbeat, last_error=error)
    assert health(camera, NOW) is expected


def test_source_credentials_are_hidden() -> None:
    assert redact_source("rtsp://user:secret@10.0.0.5/stream") == "rtsp://10.0.0.5/stream"
    assert redact_source("/videos/a@b.avi") == "/videos/a@b.avi"
    assert redact_source("0") == "0"


def _cameras(factory: sessionmaker[Session], classroom: Classroom) -> None:
    """Alice's course films with a live camera (one failing one elsewhere is Bob's)."""
    now = utcnow()
    with factory.begin() as session:
        mine = Camera(name="room-a", source="rtsp://u:pw@cam-a/live", last_heartbeat_at=now,
                      last_frame_at=now, frames_processed=120, faces_seen=37)
        theirs = Camera(name="room-b", source="1", last_heartbeat_at=now - timedelta(seconds=5),
                        last_error=f"{now.isoformat(timespec='seconds')} camera unplugged")
        idle = Camera(name="spare", source="2")
        session.add_all([mine, theirs, idle])
        session.flush()
        course = session.get(Course, classroom.course_id)
        other = session.get(Course, classroom.other_course_id)
        assert course is not None
        assert other is not None
        course.camera_id, other.camera_id = mine.id, theirs.id
        session.add(ClassSession(course_id=course.id, starts_at=now + timedelta(days=1),
                                 ends_at=now + timedelta(days=1, hours=1)))
        session.add(ClassSession(course_id=other.id, starts_at=now - timedelta(minutes=5),
                                 ends_at=now + timedelta(minutes=55)))


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_admin_sees_every_camera_with_health_and_next_session(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _cameras(session_factory, classroom)
    auth.login("admin")
    page = client.get("/cameras/").get_data(as_text=True)
    assert '<span class="health health-alive">alive</span>' in page
    assert '<span class="health health-failing">failing</span>' in page
    assert '<span class="health health-never">never seen</span>' in page
    assert "camera unplugged" in page
    assert "rtsp://cam-a/live" in page
    assert "pw@" not in page
    assert "Films <a" in page
    assert "BIO101" in page
    assert "Filming <a" in page
    assert "CHEM1" in page
    assert "Nothing scheduled" in page
    assert 'name="source"' in page  # the admin's add form


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_teacher_sees_only_the_cameras_of_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _cameras(session_factory, classroom)
    auth.login("alice")
    page = client.get("/cameras/").get_data(as_text=True)
    assert "room-a" in page
    assert "room-b" not in page
    assert "spare" not in page
    assert "CHEM1" not in page
    assert 'name="source"' not in page
    assert client.post("/cameras/", data={"name": "x", "source": "0"}).status_code == 403


def test_admin_adds_a_camera(
    client: FlaskClient, auth: AuthActions, people: object,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    response = client.post("/cameras/", data={"name": "lab-3", "source": "rtsp://cam/1"},
                           follow_redirects=True)
    assert "Camera lab-3 added." in response.get_data(as_text=True)
    duplicate = client.post("/cameras/", data={"name": "lab-3", "source": "0"})
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.get_data(as_text=True)
    bad = client.post("/cameras/", data={"name": "lab-4", "source": "ftp://cam/1"})
    assert bad.status_code == 400
    assert "is not supported" in bad.get_data(as_text=True)
    missing = client.post("/cameras/", data={"name": "", "source": ""})
    assert missing.status_code == 400
    assert 'aria-invalid="true"' in missing.get_data(as_text=True)
    with session_factory() as session:
        assert session.scalars(select(Camera.name)).all() == ["lab-3"]
        assert session.scalars(select(AuditLog.action)
                               .where(AuditLog.action == "camera.create")).all() == [
            "camera.create"]


class _Workers:
    """What ``attendance serve``'s supervisor reports: one camera running after two restarts,
    one waiting out its backoff."""

    def states(self) -> list[WorkerState]:
        since = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
        return [
            WorkerState("room-a", "running", 4242, since, 2, "killed by SIGKILL"),
            WorkerState("room-b", "restarting", None, since, 5, "exited with code 1", 7.6),
        ]

    def stop(self) -> None:
        raise AssertionError("the page never stops workers")


def test_the_cameras_page_shows_each_worker_process(
    app: Flask, client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _cameras(session_factory, classroom)
    auth.login("admin")
    assert "Worker process" not in client.get("/cameras/").get_data(as_text=True)  # --no-worker
    app.extensions[WORKERS_KEY] = _Workers()
    page = client.get("/cameras/").get_data(as_text=True)
    assert "Worker process" in page
    assert "running</span> <span class=\"muted\">pid 4242, since 09:15:00" in page
    assert "restarted 2×; last killed by SIGKILL" in page
    assert "restarting</span> <span class=\"muted\">in 8 s" in page
    assert "restarted 5×; last exited with code 1" in page
    assert "none (no course films with it)" in page  # the spare camera
