"""Courses: listing by role, the create/edit form with its schedule rows, the roster."""

from __future__ import annotations

from datetime import time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, Course
from attendance.services.roster import roster

from .conftest import AuthActions, Classroom, People


def _course(factory: sessionmaker[Session], code: str) -> Course:
    with factory() as session:
        course = session.scalars(select(Course).where(Course.code == code)).one()
        _ = course.schedule  # load before the session closes
        return course


def test_teacher_sees_only_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    page = client.get("/courses/").get_data(as_text=True)
    assert "BIO101" in page
    assert "CHEM1" not in page


def test_admin_sees_all_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("admin")
    page = client.get("/courses/").get_data(as_text=True)
    assert "BIO101" in page
    assert "CHEM1" in page


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_teacher_gets_404_for_another_teachers_things(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    course, session = classroom.other_course_id, classroom.other_session_id
    student = classroom.student_ids[0]
    gets = [
        f"/courses/{course}", f"/courses/{course}/edit", f"/courses/{course}/sessions",
        f"/sessions/{session}", f"/sessions/{session}/export.csv", f"/courses/{course}/export",
        f"/courses/{course}/export?date_from=2026-01-01&date_to=2026-12-31",
    ]
    posts = [
        f"/courses/{course}/edit", f"/courses/{course}/roster",
        f"/courses/{course}/roster/{student}/remove", f"/courses/{course}/sessions/materialize",
        f"/sessions/{session}/students/{student}/override",
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, data={"student_numbers": "S001", "status": "present",
                                      "reason": "x", "weeks": "1"}).status_code == 404, url
    # The admin reaches the same pages.
    client.post("/auth/logout")
    auth.login("admin")
    assert client.get(f"/courses/{course}").status_code == 200
    assert client.get(f"/sessions/{session}").status_code == 200


def test_create_course_with_schedule(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    form = client.get("/courses/new").get_data(as_text=True)
    assert 'name="slots-0-weekday"' in form
    assert 'name="slots-1-weekday"' in form
    assert 'name="teacher"' in form
    response = client.post("/courses/new", data={
        "code": "MATH2", "name": "Mathematics", "timezone": "Europe/Berlin",
        "late_after_minutes": "5", "camera": "", "teacher": str(people.bob),
        "slots-0-weekday": "2", "slots-0-start": "08:15", "slots-0-end": "09:45",
        "slots-1-weekday": "", "slots-1-start": "", "slots-1-end": "",
    })
    assert response.status_code == 302
    course = _course(session_factory, "MATH2")
    assert course.teacher_id == people.bob
    assert course.late_after_minutes == 5
    assert [(s.weekday, s.start_time, s.end_time) for s in course.schedule] == [
        (2, time(8, 15), time(9, 45))]
    assert "Course MATH2 created." in client.get(response.headers["Location"]).get_data(True)
    with session_factory() as session:
        actions = session.scalars(select(AuditLog.action)).all()
    assert "course.create" in actions


def test_teacher_creates_own_course(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    assert 'name="teacher"' not in client.get("/courses/new").get_data(as_text=True)
    response = client.post("/courses/new", data={
        "code": "ART", "name": "Art", "timezone": "UTC", "late_after_minutes": "10",
        "teacher": str(people.bob),  # ignored: only an admin assigns teachers
    })
    assert response.status_code == 302
    assert _course(session_factory, "ART").teacher_id == people.alice


def test_validation_errors_are_shown(
    client: FlaskClient, auth: AuthActions, people: People
) -> None:
    auth.login("alice")
    response = client.post("/courses/new", data={
        "code": "", "name": "Physics", "timezone": "UTC", "late_after_minutes": "-1",
        "slots-0-weekday": "0", "slots-0-start": "10:00", "slots-0-end": "09:00",
        "slots-1-weekday": "1", "slots-1-start": "", "slots-1-end": "",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Please correct the marked fields." in page
    assert 'id="code-error"' in page
    assert 'aria-invalid="true"' in page
    assert "Must be after the start." in page
    assert "Fill in weekday, start and end, or none." in page


def test_service_errors_are_flashed(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("admin")
    response = client.post("/courses/new", data={
        "code": "NEW1", "name": "New", "timezone": "UTC", "late_after_minutes": "10",
        "slots-0-weekday": "0", "slots-0-start": "09:00", "slots-0-end": "10:00",
        "slots-1-weekday": "0", "slots-1-start": "09:30", "slots-1-end": "10:30",
    })
    assert response.status_code == 200
    assert "overlap" in response.get_data(as_text=True)
    response = client.post("/courses/new", data={
        "code": "BIO101", "name": "Again", "timezone": "UTC", "late_after_minutes": "10"})
    assert "already exists" in response.get_data(as_text=True)


def test_edit_course(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert 'value="09:00"' in form
    assert "Biology" in form
    response = client.post(url, data={
        "name": "Biology II", "timezone": "Europe/Berlin", "late_after_minutes": "15",
        "slots-0-weekday": "0", "slots-0-start": "09:00", "slots-0-end": "10:30",
        "slots-1-weekday": "3", "slots-1-start": "13:00", "slots-1-end": "14:00",
    })
    assert response.status_code == 302
    course = _course(session_factory, "BIO101")
    assert course.name == "Biology II"
    assert course.teacher_id is not None  # a teacher's edit never drops the teacher
    assert [s.weekday for s in course.schedule] == [0, 3]


def test_roster_add_and_remove(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    course = classroom.course_id
    client.post(f"/courses/{course}/roster/{classroom.student_ids[0]}/remove")
    with session_factory() as session:
        assert [s.student_number for s in roster(session, course)] == ["S002"]
    response = client.post(f"/courses/{course}/roster", data={"student_numbers": "S001, S404"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    # It says that the valid number was not added either, and keeps the list to correct.
    assert ("Nothing was added: no student has the number S404 (enroll them first, or correct "
            "the number). The 1 other number(s) were valid but were not added either") in page
    assert "S001, S404</textarea>" in page
    with session_factory() as session:
        assert [s.student_number for s in roster(session, course)] == ["S002"]
    empty = client.post(f"/courses/{course}/roster", data={"student_numbers": " , "})
    assert empty.status_code == 400
    assert "Give at least one student number." in empty.get_data(as_text=True)
    response = client.post(f"/courses/{course}/roster", data={"student_numbers": "S001\nS002"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "1 student(s) added" in page
    assert "Zoë Ångström" in page
    with session_factory() as session:
        assert [s.student_number for s in roster(session, course)] == ["S001", "S002"]
