"""The dashboard in Spanish and English: who decides the language, and what changes with it.

The language is the signed-in user's own choice (Password page), else the browser's
``Accept-Language``, else English; the sign-in and check-in pages follow the browser.
Dates, times and numbers follow the language (Babel); the command line stays English.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, User
from webui.formatting import file_size, moment, number, percent, weekday_name
from webui.words import domain_text, rate_basis

from .conftest import PASSWORD, AuthActions, Classroom, People

SPANISH = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def _text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def test_without_a_language_header_everything_is_english(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    page = _text(response)
    assert "Accept-Language" in response.headers["Vary"]  # caches keep languages apart
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page


@pytest.mark.parametrize(("header", "lang", "heading"), [
    ("es-MX,es;q=0.9", "es", "Iniciar sesión"),
    ("es-PE", "es", "Iniciar sesión"),
    ("pt-BR,es;q=0.5,en;q=0.4", "es", "Iniciar sesión"),
    ("fr-FR,fr;q=0.9", "en", "Sign in"),
    ("en-GB", "en", "Sign in"),
])
def test_the_sign_in_page_follows_the_browser(
    client: FlaskClient, header: str, lang: str, heading: str
) -> None:
    page = _text(client.get("/auth/login", headers={"Accept-Language": header}))
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{heading}</h1>" in page


def test_messages_and_form_errors_are_in_the_browsers_language(
    client: FlaskClient, people: People
) -> None:
    empty = _text(client.post("/auth/login", data={}, headers=SPANISH))
    assert "Este campo es obligatorio." in empty  # WTForms' own Spanish catalogue
    wrong = _text(client.post("/auth/login", data={"username": "alice", "password": "nope"},
                              headers=SPANISH))
    assert "Usuario desconocido o contraseña incorrecta." in wrong
    assert 'for="username">Usuario</label>' in wrong


def test_a_users_own_language_wins_over_the_browser(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    page = _text(client.get("/auth/password", headers=ENGLISH))
    assert '<option selected value="">The browser&#39;s language</option>' in page
    assert '<option value="es">Español</option>' in page
    saved = client.post("/auth/language", data={"language": "es"}, headers=ENGLISH,
                        follow_redirects=True)
    assert "Idioma guardado." in _text(saved)  # said in the language just chosen
    courses = _text(client.get("/courses/", headers=ENGLISH))
    assert '<html lang="es">' in courses
    assert "<h1>Cursos</h1>" in courses
    assert ">Mi cuenta</a>" in courses  # the menu
    with session_factory() as session:
        assert session.get(User, people.alice).language == "es"  # type: ignore[union-attr]
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "user.language"))
        assert [a.details for a in audit] == [{"language": "es"}]
    client.post("/auth/language", data={"language": ""}, headers=SPANISH)  # the browser's
    assert "<h1>Courses</h1>" in _text(client.get("/courses/", headers=ENGLISH))
    assert "<h1>Cursos</h1>" in _text(client.get("/courses/", headers=SPANISH))


def test_the_services_password_refusal_is_in_the_readers_language(
    client: FlaskClient, auth: AuthActions, people: People
) -> None:
    auth.login("alice")
    same = {"current_password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD}
    refused = client.post("/auth/password", data=same, headers=SPANISH)
    assert refused.status_code == 400
    assert "la nueva contraseña debe ser distinta de la actual" in _text(refused)
    refused = client.post("/auth/password", data=same, headers=ENGLISH)
    assert "the new password must differ from the current one" in _text(refused)


def test_an_unknown_language_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("alice")
    response = client.post("/auth/language", data={"language": "xx"})
    assert response.status_code == 400
    assert "Not a valid choice." in _text(response)


def test_session_page_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """Monday 2026-03-02 08:00 UTC is 09:00 in Berlin: the heading says so in Spanish."""
    with session_factory.begin() as session:
        session.add(AttendanceRecord(
            class_session_id=classroom.session_id, student_id=classroom.student_ids[0],
            status="late", source="auto", sightings_count=2,
            first_seen_at=datetime(2026, 3, 2, 8, 12, 5, tzinfo=UTC)))
    auth.login("alice")
    page = _text(client.get(f"/sessions/{classroom.session_id}", headers=SPANISH))
    assert "BIO101 · lunes, 2 de marzo de 2026, 9:00–10:30" in page
    assert "Las horas están en Europe/Berlin." in page
    assert '<span class="status status-late">tarde</span>' in page
    assert "<td>9:12:05</td>" in page  # first seen, local time (CLDR: no leading zero)
    assert "Confirmar estos registros" in page
    assert "tasa sobre 1 estudiante con registro" in page


def test_session_list_and_history_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    sessions = _text(client.get(f"/courses/{classroom.course_id}/sessions", headers=SPANISH))
    assert "lun, 2 mar 2026" in sessions
    assert "1 sesión" in sessions
    course = _text(client.get(f"/courses/{classroom.course_id}", headers=SPANISH))
    assert "Lunes 09:00–10:30" in course  # the weekly schedule (time of day as stored)
    matrix = _text(client.get(f"/courses/{classroom.course_id}/attendance", headers=SPANISH))
    assert "2 mar" in matrix  # the session's column


def test_chart_labels_are_translated(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    svg = _text(client.get(f"/courses/{classroom.course_id}/attendance-rate.svg",
                           headers=SPANISH))
    assert "Tasa de asistencia por sesión (fechas en Europe/Berlin)" in svg
    assert "presentes o tarde" in svg


def test_error_pages_are_translated(
    client: FlaskClient, auth: AuthActions, classroom: Classroom
) -> None:
    auth.login("alice")
    missing = client.get(f"/courses/{classroom.other_course_id}", headers=SPANISH)
    assert missing.status_code == 404
    assert "Aquí no hay nada, o no tienes acceso a ello." in _text(missing)
    assert "Volver a la página de inicio" in _text(missing)


def test_the_check_in_page_follows_the_browser(client: FlaskClient) -> None:
    page = _text(client.get("/checkin", headers=SPANISH))
    assert "<h1>Registra tu asistencia a clase</h1>" in page
    assert "Número de estudiante" in page


@pytest.mark.usefixtures("spanish")
def test_the_live_page_script_gets_its_words_from_the_page() -> None:
    """static/live.js has no words of its own: a live page hands them over as attributes,
    in its language ({seconds} and {time} are filled in by the script)."""
    html = render_template_string(
        '{% from "_live.html" import live_texts %}<div{{ live_texts() }}></div>')
    assert 'data-live-text-every="Se actualiza sola cada {seconds} s."' in html
    assert "data-live-text-stopped=" in html


@pytest.fixture
def spanish(app: Flask) -> object:
    with app.test_request_context("/", headers=SPANISH):
        yield


@pytest.fixture
def english(app: Flask) -> object:
    with app.test_request_context("/", headers=ENGLISH):
        yield


MOMENT = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


@pytest.mark.usefixtures("spanish")
def test_dates_and_numbers_in_spanish() -> None:
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    lima = ZoneInfo("America/Lima")  # UTC-5: 13:00 UTC is 08:00 there
    assert moment(MOMENT, "day_datetime") == "viernes, 27 de noviembre de 2026, 13:00"
    assert moment(MOMENT, "day_datetime", lima) == "viernes, 27 de noviembre de 2026, 8:00"
    assert moment(MOMENT, "date") == "vie, 27 nov 2026"
    assert moment(MOMENT, "time_seconds", lima) == "8:00:00"
    assert moment(MOMENT, "day_month") == "27 nov"
    assert weekday_name(0) == "Lunes"
    assert number(0.5123, 3) == "0,512"
    assert number(1234) == "1.234"  # Babel groups from four digits
    assert percent(2 / 3) == "67\xa0%"
    assert file_size(15 * 1024 * 1024) == "15,7 MB"


@pytest.mark.usefixtures("english")
def test_english_keeps_the_dashboards_forms() -> None:
    assert moment(MOMENT, "day_datetime") == "Friday 2026-11-27 13:00"
    assert moment(MOMENT, "date") == "Fri 2026-11-27"
    assert moment(MOMENT, "datetime") == "2026-11-27 13:00"
    assert weekday_name(0) == "Monday"
    assert number(0.5123, 3) == "0.512"
    assert percent(2 / 3) == "67 %"
    assert file_size(15 * 1024 * 1024) == "15.7 MB"


@pytest.mark.usefixtures("spanish")
def test_the_domains_explanations_are_translated() -> None:
    from attendance.services.rates import RateFigures  # noqa: PLC0415

    assert domain_text("no active consent covering this course") == (
        "no hay un consentimiento vigente que cubra este curso")
    assert domain_text("no accepted photo for the face models dlib or inhouse") == (
        "ninguna foto aceptada para los modelos faciales dlib o inhouse")
    assert domain_text("dlib distance 0.550 just above its threshold 0.50") == (
        "dlib: distancia 0,550, apenas por encima de su umbral 0,50")
    assert domain_text("something new the dashboard does not know") == (
        "something new the dashboard does not know")
    assert rate_basis(RateFigures(attended=2, recorded=3, unrecorded=1), "students") == (
        "tasa sobre 3 estudiantes con registro; no se cuentan: 1 aún sin registro")
