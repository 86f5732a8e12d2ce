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


def test_a_new_email_for_an_enrolled_student_is_reported_not_ignored(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")  # S001 is on her roster: she may see the stored values
    page = _upload(client, "student_number,name,email,course_code\r\n"
                           "S001,Zoe Angstrom,zoe@new.example,BIO101\r\n"
                           "S002,Li Wei,,BIO101\r\n")
    assert "1 row(s) give an enrolled student another name or email" in page
    assert "Note: the email zoe@new.example is not stored: the student is enrolled" in page
    assert "the name &#39;Zoe Angstrom&#39; is not stored: the student is enrolled as" in page
    assert "Edit name and email" in page
    client.post("/students/import/confirm", data={"token": _token(page)})
    with session_factory() as session:
        student = session.scalars(select(Student).where(Student.student_number == "S001")).one()
    assert (student.display_name, student.email) == ("Zoë Ångström", None)  # unchanged


def test_another_teachers_student_is_noted_without_revealing_the_stored_email(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("bob")  # S001 is not his student
    page = _upload(client, "student_number,name,email,course_code\r\n"
                           "S001,,zoe@new.example,CHEM1\r\n")
    assert "Note: the email in the file is not used for an enrolled student" in page
    assert "Zoë" not in page


def test_extra_columns_are_named_not_read_as_a_course(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("alice")
    page = _upload(client, "student_number,name,course_code,Notes,Extra Columns\r\n"
                           "S100,Ada Lovelace,BIO101,first year,yes\r\n")
    assert "Not imported: the columns Notes, Extra Columns." in page
    assert "unknown course" not in page
    assert "All 1 row(s) are fine." in page
    shifted = _upload(client, "student_number,name,course_code\r\n"
                              "S100,Lovelace, Ada,BIO101\r\n"
                              "S101,Alan Turing,BIO101,,\r\n")   # empty trailing cells: fine
    assert ("Error: 4 values but the header has 3 columns (extra: &#39;BIO101&#39;); a value "
            "holding a comma needs quotes") in shifted
    assert "unknown course" not in shifted
    assert "1 of 2 row(s) have errors" in shifted
    twice = client.post("/students/import/", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"student_number,name,course_code,course\r\nS1,A,BIO101,X\r\n"),
                 "r.csv")})
    assert twice.status_code == 400
    assert ("the header row names course_code more than once (columns 3, 4); keep one of them"
            in twice.get_data(as_text=True))
