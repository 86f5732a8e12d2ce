"""CSV downloads of one session and of a course over a date range."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time

import openpyxl
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, ClassSession, Student
from attendance.export import COLUMNS
from attendance.export_xlsx import MIME_TYPE as XLSX_MIME_TYPE
from attendance.services.roster import add_to_roster

from .conftest import AuthActions, Classroom


def _parse(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_session_csv(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        evil = Student(student_number="S003", display_name="=cmd|' /C calc'!A0")
        session.add(evil)
        session.flush()
        add_to_roster(session, classroom.course_id, student_ids=[evil.id])
    auth.login("alice")
    response = client.get(f"/sessions/{classroom.session_id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="BIO101_2026-03-02.csv"')
    rows = _parse(response.data)
    assert tuple(rows[0]) == COLUMNS
    assert [r[6] for r in rows[1:]] == ["S001", "S002", "S003"]
    assert rows[1][2:6] == ["2026-03-02", "09:00", "10:30", "Europe/Berlin"]
    assert rows[1][7] == "Zoë Ångström"
    assert rows[3][7] == "'=cmd|' /C calc'!A0"


def test_course_csv_over_a_date_range(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        session.add(ClassSession(course_id=classroom.course_id,
                                 starts_at=datetime(2026, 3, 9, 8, tzinfo=UTC),
                                 ends_at=datetime(2026, 3, 9, 9, 30, tzinfo=UTC)))
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/export"
    form = client.get(url)
    assert form.status_code == 200
    assert 'name="date_from"' in form.get_data(as_text=True)
    response = client.get(url, query_string={"date_from": "2026-03-01", "date_to": "2026-03-09"})
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="BIO101_2026-03-01_2026-03-09.csv"')
    assert [r[2] for r in _parse(response.data)[1:]] == ["2026-03-02"] * 2 + ["2026-03-09"] * 2
    only_first = client.get(url, query_string={"date_from": "2026-03-02", "date_to": "2026-03-08"})
    assert len(_parse(only_first.data)) == 3


def test_course_csv_refuses_a_bad_range(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/export"
    backwards = client.get(url, query_string={"date_from": "2026-03-09", "date_to": "2026-03-01"})
    assert backwards.status_code == 400
    assert "Must not be before the start date." in backwards.get_data(as_text=True)
    too_long = client.get(url, query_string={"date_from": "2020-01-01", "date_to": "2026-03-01"})
    assert too_long.status_code == 400
    assert "longer than" in too_long.get_data(as_text=True)


def _sheet(data: bytes, title: str = "Attendance") -> list[list[object]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        sheet = workbook[title]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _as_csv(value: object) -> str:
    """An XLSX cell as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.time() != time(0) else "%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def test_session_xlsx_has_the_csv_table(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        evil = Student(student_number="S003", display_name="=HYPERLINK(\"http://x\")")
        session.add(evil)
        session.flush()
        add_to_roster(session, classroom.course_id, student_ids=[evil.id])
    auth.login("alice")
    response = client.get(f"/sessions/{classroom.session_id}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIME_TYPE
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="BIO101_2026-03-02.xlsx"')
    sheet = _sheet(response.data)
    csv_rows = _parse(client.get(f"/sessions/{classroom.session_id}/export.csv").data)
    assert tuple(sheet[0]) == COLUMNS
    assert [[_as_csv(c) for c in row] for row in sheet] == [
        [cell.removeprefix("'") for cell in row] for row in csv_rows]  # no apostrophe in XLSX
    assert sheet[3][7] == "=HYPERLINK(\"http://x\")"  # text, not a formula (the cell type)
    assert sheet[1][10] == 0  # sightings is a number
    assert sheet[1][2] == datetime(2026, 3, 2)  # a date, not the text "2026-03-02"


def test_course_xlsx_over_a_date_range(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/export"
    assert 'value="xlsx"' in client.get(url).get_data(as_text=True)
    response = client.get(url, query_string={"date_from": "2026-03-01", "date_to": "2026-03-09",
                                             "format": "xlsx"})
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="BIO101_2026-03-01_2026-03-09.xlsx"')
    assert [row[6] for row in _sheet(response.data)[1:]] == ["S001", "S002"]
    client.post("/auth/logout")
    auth.login("bob")
    assert client.get(f"/sessions/{classroom.session_id}/export.xlsx").status_code == 404
    assert client.get(url, query_string={"date_from": "2026-03-01", "date_to": "2026-03-09",
                                         "format": "xlsx"}).status_code == 404


def test_xlsx_export_survives_control_characters_in_stored_names(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """Rows stored before the input guard existed (or by another program) still export."""
    with session_factory.begin() as session:
        odd = Student(student_number="S\x01009", display_name="Bell\x07 Escape\x1b[31m")
        session.add(odd)
        session.flush()
        add_to_roster(session, classroom.course_id, student_ids=[odd.id])
    auth.login("alice")
    response = client.get(f"/sessions/{classroom.session_id}/export.xlsx")
    assert response.status_code == 200
    rows = _sheet(response.data)
    assert ["S009", "Bell Escape[31m"] in [[row[6], row[7]] for row in rows]


def _mark(session_factory: sessionmaker[Session], classroom: Classroom) -> None:
    """S001 present (camera), S002 absent (by hand)."""
    with session_factory.begin() as session:
        first, second = classroom.student_ids
        session.add_all([
            AttendanceRecord(class_session_id=classroom.session_id, student_id=first,
                             status="present", source="auto", sightings_count=2),
            AttendanceRecord(class_session_id=classroom.session_id, student_id=second,
                             status="absent", source="manual", reason="ill"),
        ])


def test_export_speaks_the_language_of_the_person_exporting(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """The same session exported by a Spanish-speaking and an English-speaking teacher:
    headers and status words differ, the figures and dates do not."""
    _mark(session_factory, classroom)
    auth.login("alice")
    url = f"/sessions/{classroom.session_id}/export.csv"
    english = _parse(client.get(url, headers={"Accept-Language": "en-US"}).data)
    spanish = _parse(client.get(url, headers={"Accept-Language": "es-PE,es;q=0.9"}).data)
    assert tuple(english[0]) == COLUMNS
    assert spanish[0][:9] == ["Código del curso", "Curso", "Fecha", "Inicio", "Fin",
                              "Zona horaria", "Número de estudiante", "Estudiante", "Estado"]
    status, source = COLUMNS.index("status"), COLUMNS.index("source")
    state = COLUMNS.index("session_state")
    assert [(r[status], r[source], r[state]) for r in english[1:]] == [
        ("present", "auto", "provisional"), ("absent", "manual", "provisional")]
    assert [(r[status], r[source], r[state]) for r in spanish[1:]] == [
        ("presente", "automático", "provisional"), ("ausente", "manual", "provisional")]
    # Everything else is the same file.
    others = [i for i in range(len(COLUMNS)) if i not in (status, source, state)]
    assert [[r[i] for i in others] for r in spanish[1:]] == [
        [r[i] for i in others] for r in english[1:]]


def test_xlsx_export_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _mark(session_factory, classroom)
    auth.login("alice")
    client.post("/auth/language", data={"language": "es"})  # the user's own choice
    response = client.get(f"/sessions/{classroom.session_id}/export.xlsx",
                          headers={"Accept-Language": "en"})
    sheet = _sheet(response.data, "Asistencia")
    assert sheet[0][COLUMNS.index("status")] == "Estado"
    assert [row[COLUMNS.index("status")] for row in sheet[1:]] == ["presente", "ausente"]
    assert sheet[1][2] == datetime(2026, 3, 2)  # still a date cell
