"""The non-biometric path in the dashboard: check-in codes on the session page and the public
``/checkin`` page (no login, CSRF, rate limit), and face recognition switched off per course."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AttendanceRecord, AuditLog, ClassSession, Course
from attendance.services.checkin import NO_MATCH
from webui import create_app
from webui.checkin.views import NUMBER_MAX_FAILURES

from .conftest import AuthActions, Classroom


@pytest.fixture
def running(session_factory: sessionmaker[Session], classroom: Classroom) -> Classroom:
    """The classroom's session moved to now: started 2 minutes ago, 90 minutes long."""
    with session_factory.begin() as session:
        row = session.get(ClassSession, classroom.session_id)
        assert row is not None
        row.starts_at = datetime.now(UTC) - timedelta(minutes=2)
        row.ends_at = row.starts_at + timedelta(minutes=90)
    return classroom


def _open_code(client: FlaskClient, session_id: int) -> str:
    page = client.post(f"/sessions/{session_id}/checkin-code",
                       follow_redirects=True).get_data(as_text=True)
    match = re.search(r'<strong class="checkin-code">(\d{6})</strong>', page)
    assert match is not None, page
    return match[1]


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_student_checks_in_without_login(
    client: FlaskClient, auth: AuthActions, running: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    code = _open_code(client, running.session_id)
    auth.logout()

    page = client.get("/checkin")
    assert page.status_code == 200
    assert "No photo or face is used" in page.get_data(as_text=True)
    response = client.post("/checkin", data={"student_number": "S001", "code": code})

    assert response.status_code == 200
    assert "Checked in: present." in response.get_data(as_text=True)
    with session_factory() as session:
        record = session.scalars(select(AttendanceRecord)).one()
        audit = session.scalars(select(AuditLog).where(
            AuditLog.action == "attendance.override")).one()
    assert (record.status, record.source, record.reason) == ("present", "manual",
                                                             "check-in code")
    assert audit.actor == "checkin:S001"
    # Nothing else became public.
    assert client.get(f"/sessions/{running.session_id}").status_code == 302


def test_wrong_codes_are_throttled(
    client: FlaskClient, auth: AuthActions, running: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    code = _open_code(client, running.session_id)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(NUMBER_MAX_FAILURES):
        refused = client.post("/checkin", data={"student_number": "S001", "code": wrong})
        assert refused.status_code == 400
        assert NO_MATCH.split(".")[0] in refused.get_data(as_text=True)
    blocked = client.post("/checkin", data={"student_number": "S001", "code": code})
    assert blocked.status_code == 429  # even the right code: guessing gets no answer
    with session_factory() as session:
        assert session.scalars(select(AttendanceRecord)).all() == []


def test_checkin_needs_the_csrf_token(
    settings: Settings, session_factory: sessionmaker[Session], running: Classroom,
) -> None:
    app = create_app(settings, overrides={"TESTING": True, "SESSION_FACTORY": session_factory})
    client = app.test_client()
    refused = client.post("/checkin", data={"student_number": "S001", "code": "123456"})
    assert refused.status_code == 400
    assert b"The form expired" in refused.data
    page = client.get("/checkin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token is not None
    answered = client.post("/checkin", data={"student_number": "S001", "code": "123456",
                                             "csrf_token": token[1]})
    assert answered.status_code == 400
    assert NO_MATCH.split(".")[0] in answered.get_data(as_text=True)


def test_teacher_cannot_open_another_teachers_code(
    client: FlaskClient, auth: AuthActions, running: Classroom,
) -> None:
    auth.login("alice")
    response = client.post(f"/sessions/{running.other_session_id}/checkin-code")
    assert response.status_code in (403, 404)


def test_close_code(
    client: FlaskClient, auth: AuthActions, running: Classroom,
) -> None:
    auth.login("alice")
    code = _open_code(client, running.session_id)
    page = client.post(f"/sessions/{running.session_id}/checkin-code/close",
                       follow_redirects=True).get_data(as_text=True)
    assert "Check-in code closed." in page
    assert code not in page
    refused = client.post("/checkin", data={"student_number": "S001", "code": code})
    assert refused.status_code == 400


def test_face_recognition_switch_on_the_course_form(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="face_recognition_enabled"', form)
    response = client.post(url, data={  # the box left unticked: switched off
        "name": "Biology", "timezone": "Europe/Berlin", "late_after_minutes": "10",
        "slots-0-weekday": "0", "slots-0-start": "09:00", "slots-0-end": "10:30",
    })
    assert response.status_code == 302
    with session_factory() as session:
        course = session.get(Course, classroom.course_id)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "course.update")
                                ).one()
    assert course is not None
    assert course.face_recognition_enabled is False
    assert audit.details["face_recognition_enabled"] is False
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "Face recognition is switched off for this course" in page
