"""Erasing a student goes through a confirmation page with counts; nothing erases in one
click, and only an admin erases."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, Sighting, Student

from .conftest import AuthActions, Classroom, consent_for


def _seed(factory: sessionmaker[Session], classroom: Classroom) -> int:
    """Student S001 with a consent, three sightings and an attendance record."""
    student = classroom.student_ids[0]
    with factory.begin() as session:
        consent_for(session, [student])
        for i in range(3):
            session.add(Sighting(class_session_id=classroom.session_id, student_id=student,
                                 seen_at=datetime(2026, 3, 2, 8, i, tzinfo=UTC), box_top=0,
                                 box_right=1, box_bottom=1, box_left=0))
        session.add(AttendanceRecord(class_session_id=classroom.session_id,
                                     student_id=student, status="present"))
    return student


def test_the_students_list_has_no_delete_button(client: FlaskClient, auth: AuthActions,
                                                classroom: Classroom) -> None:
    auth.login("admin")
    page = client.get("/students/").get_data(as_text=True)
    assert "S001" in page
    assert "Delete" not in page
    assert "/delete" not in page
    assert "/erase" not in page
    assert client.post(f"/students/{classroom.student_ids[0]}/delete").status_code == 404
    student_page = client.get(f"/students/{classroom.student_ids[0]}").get_data(as_text=True)
    assert f'href="/students/{classroom.student_ids[0]}/erase"' in student_page


def test_the_confirmation_page_counts_what_goes(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = _seed(session_factory, classroom)
    auth.login("admin")
    response = client.get(f"/students/{student}/erase")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Erase Zoë Ångström" in page
    for label, count in (("Sightings by the cameras", 3), ("Attendance records", 1),
                         ("Consent records", 1), ("Enrollment photos", 0),
                         ("Face embeddings", 0)):
        assert f'<th scope="row">{label}</th><td class="num">{count}</td>' in page, label
    assert "BIO101" in page  # the roster the student leaves
    with session_factory() as session:
        assert session.get(Student, student) is not None  # looking erases nothing


def test_a_wrong_or_missing_number_erases_nothing(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = _seed(session_factory, classroom)
    auth.login("admin")
    for typed in ("", "S002", "s001"):
        response = client.post(f"/students/{student}/erase", data={"confirm_number": typed})
        assert response.status_code == 400, typed
        text = response.get_data(as_text=True)
        assert ("Type the student number to confirm." in text
                or "The number typed is not S001: nothing was erased." in text)
    with session_factory() as session:
        assert session.get(Student, student) is not None


def test_typing_the_number_erases_and_audits(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = _seed(session_factory, classroom)
    auth.login("admin")
    response = client.post(f"/students/{student}/erase", data={"confirm_number": " S001 "},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Student S001 and their face data were erased." in text
    assert "3 sighting(s)" in text
    assert "1 attendance record(s)" in text
    with session_factory() as session:
        assert session.get(Student, student) is None
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "student.delete")).one()
    assert entry.actor == "admin"
    assert "S001" not in str(entry.details)


def test_teachers_never_erase(client: FlaskClient, auth: AuthActions, classroom: Classroom,
                              session_factory: sessionmaker[Session]) -> None:
    mine, = classroom.student_ids[:1]
    auth.login("alice")
    assert "/erase" not in client.get(f"/students/{mine}").get_data(as_text=True)
    assert client.get(f"/students/{mine}/erase").status_code == 403
    assert client.post(f"/students/{mine}/erase",
                       data={"confirm_number": "S001"}).status_code == 403
    client.post("/auth/logout")
    auth.login("bob")  # not his student: not even its existence is shown
    assert client.get(f"/students/{mine}/erase").status_code == 404
    with session_factory() as session:
        assert session.get(Student, mine) is not None
