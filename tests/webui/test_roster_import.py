"""Roster import: upload, preview with per-row errors, signed confirmation, role scoping."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, Course, Enrollment, Student
from attendance.services.roster import roster

from .conftest import AuthActions, Classroom, People

GOOD = (
    "Student_Number,Name,Email,Course_Code\r\n"
    "S100,Ada Lovelace,ada@school.edu,BIO101\r\n"
    "S001,,,BIO101\r\n"            # already on the roster; an existing student needs no name
    "S101,Alan Turing,,BIO101\r\n"
)
BAD = (
    "student_number,name,email,course_code\n"
    "S100,Ada Lovelace,not-an-email,BIO101\n"
    ",Nameless,,BIO101\n"
    "S102,,,BIO101\n"
    "S103,Grace Hopper,,NOPE9\n"
    "S104,Edsger Dijkstra,,CHEM1\n"    # Bob's course: unknown to Alice
    "S105,Barbara Liskov,,BIO101\n"
    "S105,Barbara Liskov,,BIO101\n"
)


def _upload(client: FlaskClient, text: str, name: str = "roster.csv") -> str:
    response = client.post("/students/import/", data={"file": (io.BytesIO(text.encode()), name)},
                           content_type="multipart/form-data")
    return response.get_data(as_text=True)


def _token(page: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', page)
    assert match is not None, page
    return match[1]


def _students(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Student)) or 0


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_preview_then_confirm(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    assert 'name="file"' in client.get("/students/import/").get_data(as_text=True)
    page = _upload(client, GOOD)
    assert "All 3 row(s) are fine." in page
    assert "new student" in page
    assert "already on the roster" in page
    assert _students(session_factory) == 2  # nothing written by the preview
    response = client.post("/students/import/confirm", data={"token": _token(page)},
                           follow_redirects=True)
    assert "Imported: 2 new student(s), 2 roster addition(s) in BIO101." in response.get_data(
        as_text=True)
    with session_factory() as session:
        numbers = [s.student_number for s in roster(session, classroom.course_id)]
        ada = session.scalars(select(Student).where(Student.student_number == "S100")).one()
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "roster.import")).one()
    assert numbers == ["S001", "S002", "S100", "S101"]
    assert (ada.display_name, ada.email, ada.consent_given_at) == (
        "Ada Lovelace", "ada@school.edu", None)
    assert audit.actor == "alice"
    assert audit.details["students_created"] == 2


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_preview_lists_every_error_and_offers_no_confirmation(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    page = _upload(client, BAD)
    assert "6 of 7 row(s) have errors." in page
    assert "email &#39;not-an-email&#39; is not an address" in page
    assert "student number is missing" in page
    assert "name is missing (needed for a new student)" in page
    assert "unknown course &#39;NOPE9&#39;" in page
    assert "unknown course &#39;CHEM1&#39;" in page  # another teacher's course looks absent
    assert "duplicate of line 7" in page
    assert 'name="token"' not in page
    assert _students(session_factory) == 2


def test_admin_may_name_any_course(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("admin")
    page = _upload(client, "student_number,name,course_code\nS104,Edsger Dijkstra,CHEM1\n")
    assert "All 1 row(s) are fine." in page


def test_unreadable_files_are_refused(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    assert "lacks name, course_code" in _upload(client, "student_number\nS1\n")
    assert "no data rows" in _upload(client, "student_number,name,course_code\n")
    response = client.post("/students/import/", data={"file": (io.BytesIO(b"\xff\xfe"), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not UTF-8" in response.get_data(as_text=True)
    wrong = client.post("/students/import/", data={"file": (io.BytesIO(b"a"), "r.exe")},
                        content_type="multipart/form-data")
    assert wrong.status_code == 400
    assert "Choose a .csv file." in wrong.get_data(as_text=True)


def test_tampered_foreign_or_stale_tokens_write_nothing(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    token = _token(_upload(client, "student_number,name,course_code\nS104,E D,CHEM1\n"))
    client.post("/auth/logout")
    auth.login("alice")
    for forged in (token, token[:-2] + "xx", "nonsense"):
        response = client.post("/students/import/confirm", data={"token": forged},
                               follow_redirects=True)
        assert "The preview expired or was changed." in response.get_data(as_text=True)
    # Alice's own valid preview, made stale: the course is given to Bob before she confirms.
    token = _token(_upload(client, "student_number,name,course_code\nS300,New One,BIO101\n"))
    with session_factory.begin() as session:
        course = session.get(Course, classroom.course_id)
        assert course is not None
        course.teacher_id = people.bob
    response = client.post("/students/import/confirm", data={"token": token},
                           follow_redirects=True)
    assert "1 row(s) have errors now; nothing was imported." in response.get_data(as_text=True)
    assert _students(session_factory) == 2
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)
                              .where(Enrollment.course_id == classroom.other_course_id)) == 0
