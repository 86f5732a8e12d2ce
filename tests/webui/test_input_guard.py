"""Control characters in any text a request carries are refused with a 400, before any view
or database sees them (PostgreSQL answered a NUL in a text column with a 500)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, Course, Enrollment

from .conftest import PASSWORD, AuthActions, Classroom

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)


def _audit_rows(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(AuditLog)) or 0)


@pytest.mark.usefixtures("people")
def test_sign_in_form_refuses_a_nul_byte(
    client: FlaskClient, session_factory: sessionmaker[Session]
) -> None:
    response = client.post("/auth/login", data={"username": "ad\x00min", "password": PASSWORD})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "control character U+0000 (NUL)" in page
    assert "username" in page
    assert _audit_rows(session_factory) == 0  # refused at the edge: nothing was written


def test_public_checkin_form_refuses_control_characters(client: FlaskClient) -> None:
    response = client.post("/checkin", data={"student_number": "S001\x1b[2J", "code": "123456"})
    assert response.status_code == 400
    assert "U+001B (escape)" in response.get_data(as_text=True)


def test_course_form_refuses_a_nul_in_a_name(
    client: FlaskClient, auth: AuthActions, session_factory: sessionmaker[Session]
) -> None:
    auth.login("admin")
    response = client.post("/courses/new", data={
        "code": "NUL1", "name": "Bio\x00logy", "timezone": "UTC", "late_after_minutes": "10"})
    assert response.status_code == 400
    assert "the form field &#39;name&#39;" in response.get_data(as_text=True)
    with session_factory() as session:
        assert session.scalar(select(Course).where(Course.code == "NUL1")) is None


def test_query_parameters_are_checked_too(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")
    assert client.get("/students/", query_string={"q": "Zo\x00"}).status_code == 400
    assert client.get("/students/", query_string={"q": "Zo\x08"}).status_code == 400
    assert client.get("/students/", query_string={"q": "Zo"}).status_code == 200


def test_textarea_line_breaks_and_tabs_pass(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        session.query(Enrollment).delete()
    auth.login("alice")
    response = client.post(f"/courses/{classroom.course_id}/roster",
                           data={"student_numbers": "S001\r\n\tS002\n"})
    assert response.status_code == 302
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == 2


def test_uploaded_file_names_are_checked(client: FlaskClient, auth: AuthActions) -> None:
    import io

    auth.login("admin")
    response = client.post("/students/enroll", data={
        "student_number": "S900", "display_name": "New Person", "consent_by": "the student",
        "photos": [(io.BytesIO(b"x"), "face\x00.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "uploaded file name" in response.get_data(as_text=True)


def test_roster_import_refuses_rows_with_control_characters(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """A CSV file is not a form field: its rows are refused one by one, with the reason."""
    import io

    auth.login("alice")
    csv_text = ("student_number,name,email,course_code\r\n"
                "S1\x0000,Nul Number,,BIO101\r\nS101,Bell\x07 Name,,BIO101\r\n"
                "S102,Fine Name,,BIO101\r\n")
    response = client.post("/students/import/",
                           data={"file": (io.BytesIO(csv_text.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    page = response.get_data(as_text=True)
    assert "student number contains the control character U+0000 (NUL)" in page
    assert "name contains the control character U+0007" in page
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Course)) == 2  # nothing broke
