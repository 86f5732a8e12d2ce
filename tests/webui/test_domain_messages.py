"""The domain's messages in the reader's language: service errors, photo refusals and
roster-import row errors reach a Spanish reader in Spanish and an English one in English,
while ``str()`` of the same error (the command line, the logs) stays English."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import numpy as np
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from attendance.errors import Conflict, InvalidInput
from attendance.messages import Message
from attendance.services.courses import create_course
from attendance.services.records import override_attendance
from webui import catalogues

from .conftest import AuthActions, Classroom

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
ROOT = Path(__file__).resolve().parents[2]


def _page(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined, no-any-return]


def _course_form(code: str, **slots: str) -> dict[str, str]:
    return {"code": code, "name": "Again", "timezone": "UTC", "late_after_minutes": "10",
            **slots}


def test_a_message_is_english_text_that_keeps_its_template_and_values() -> None:
    message = Message("a course with code %(code)r already exists", code="BIO101")
    assert message == "a course with code 'BIO101' already exists"
    assert message.template == "a course with code %(code)r already exists"
    assert dict(message.params) == {"code": "BIO101"}
    assert Message("100% sure") == "100% sure"  # no values: nothing is filled in
    error = Conflict("a course with code %(code)r already exists", code="BIO101")
    assert str(error) == "a course with code 'BIO101' already exists"  # the CLI's text
    assert error.message.template == "a course with code %(code)r already exists"


@pytest.mark.parametrize(("headers", "expected", "absent"), [
    (SPANISH, "ya existe un curso con el código &#39;BIO101&#39;; elige otro código",
     "already exists"),
    (ENGLISH, "a course with code &#39;BIO101&#39; already exists; pick another code",
     "ya existe"),
])
def test_a_service_error_is_shown_in_the_readers_language(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, headers: dict[str, str],
    expected: str, absent: str,
) -> None:
    auth.login("admin")
    page = _page(client.post("/courses/new", data=_course_form("BIO101"), headers=headers))
    assert expected in page
    assert absent not in page


def test_an_error_with_values_is_filled_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("admin")
    page = _page(client.post("/courses/new", headers=SPANISH, data=_course_form(
        "NEW1", **{"slots-0-weekday": "0", "slots-0-start": "09:00", "slots-0-end": "10:00",
                   "slots-1-weekday": "0", "slots-1-start": "09:30", "slots-1-end": "10:30"})))
    assert "se superponen; quita o acorta uno" in page
    assert "overlap" not in page


def test_a_refused_correction_is_in_spanish(
    client: FlaskClient, classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session, pytest.raises(InvalidInput) as refused:
        override_attendance(session, class_session_id=classroom.session_id,
                            student_id=classroom.student_ids[0], status="present",
                            reason=" ", actor="alice")
    assert str(refused.value) == "a correction needs a reason; say why the mark is changed"
    with client.application.test_request_context(headers=SPANISH):
        from webui.words import error_text  # noqa: PLC0415

        assert error_text(refused.value) == ("una corrección necesita un motivo; explica por "
                                             "qué cambias el registro")


def test_an_access_refusal_translates_its_action_words() -> None:
    from attendance.access.rules import WORDS, Action  # noqa: PLC0415
    from attendance.errors import PermissionDenied  # noqa: PLC0415
    from tests.conftest import make_settings  # noqa: PLC0415
    from webui import create_app  # noqa: PLC0415
    from webui.words import error_text  # noqa: PLC0415

    refusal = PermissionDenied("You may not %(action)s; ask an admin.",
                               action=WORDS[Action.CREATE_COURSE])
    assert str(refusal) == "You may not create a course; ask an admin."
    app = create_app(make_settings(Path("/nonexistent")))
    with app.test_request_context(headers=SPANISH):
        assert error_text(refusal) == "No puedes crear un curso; pídeselo a un administrador."


def _blank_photo() -> bytes:
    """A plain grey photo, large enough to be looked at: no face in it."""
    pixels = np.full((320, 320, 3), 128, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("headers", "expected"), [
    (SPANISH, "blank.png: no se encontró ningún rostro"),
    (ENGLISH, "blank.png: no face found"),
])
def test_a_photo_refusal_is_shown_in_the_readers_language(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, headers: dict[str, str],
    expected: str,
) -> None:
    auth.login("alice")
    response = client.post("/students/enroll", headers=headers, data={
        "student_number": "S100", "display_name": "Ada Lovelace", "email": "", "consent": "y",
        "course": str(classroom.course_id),
        "photos": [(io.BytesIO(_blank_photo()), "blank.png")],
    }, content_type="multipart/form-data")
    assert response.status_code == 422
    assert expected in _page(response)


def test_roster_import_row_errors_and_actions_are_in_spanish(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
) -> None:
    auth.login("alice")
    text = ("student_number,name,email,course_code\n"
            "S100,Ada Lovelace,,NOPE9\n"
            ",Nameless,,BIO101\n"
            "S200,Grace Hopper,,BIO101\n")
    page = _page(client.post("/students/import/", headers=SPANISH, content_type="multipart/"
                             "form-data", data={"file": (io.BytesIO(text.encode()), "r.csv")}))
    assert "curso desconocido &#39;NOPE9&#39;" in page
    assert "falta el número de estudiante" in page
    assert "estudiante nuevo" in page
    assert "unknown course" not in page
    good = ("student_number,name,email,course_code\n"
            "S200,Grace Hopper,,BIO101\n")
    preview = _page(client.post("/students/import/", headers=SPANISH,
                                content_type="multipart/form-data",
                                data={"file": (io.BytesIO(good.encode()), "r.csv")}))
    assert "estudiante nuevo" in preview
    assert "new student" not in preview


def test_the_command_line_keeps_english(
    classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as session, pytest.raises(Conflict) as taken:
        create_course(session, code="BIO101", name="Biology", timezone="UTC")
    assert str(taken.value) == ("a course with code 'BIO101' already exists; pick another "
                                "code")


# ---------------------------------------------------------------- every message extracted

#: Where the domain's messages live (``babel.cfg``) and what the dashboard never shows.
_DOMAIN = [p for package in ("attendance", "enrollment") for p in (ROOT / package).rglob("*.py")
           if not p.name.startswith("cli") and "worker" not in p.parts and
           "bench" not in p.parts and p.name != "bench_worker.py"]


def _message_argument(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    if name not in catalogues.DOMAIN_KEYWORDS:
        return None
    spec = catalogues.DOMAIN_KEYWORDS[name]
    index = spec[0] - 1 if spec else 0
    return call.args[index] if len(call.args) > index else None


@pytest.mark.parametrize("path", _DOMAIN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_domain_messages_are_templates_babel_can_extract(path: Path) -> None:
    """An f-string or a joined text would reach the reader untranslated: the extractor
    skips it. A name is fine (a constant marked with ``N_``, a :class:`Message` made
    elsewhere)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        argument = _message_argument(node) if isinstance(node, ast.Call) else None
        if argument is not None and not isinstance(
                argument, (ast.Constant, ast.Name, ast.Attribute, ast.Call)):
            found.append((node.lineno, ast.unparse(argument)[:60]))
    assert found == []


def test_the_catalogue_holds_the_domains_messages() -> None:
    """The translation check covers them: a domain message without Spanish fails it."""
    template = catalogues.extract()
    ids = {m.id for m in template if m.id}
    assert "%(filename)s: no face found" in ids
    assert "a course with code %(code)r already exists; pick another code" in ids
    assert "unknown course %(code)r" in ids
    assert "create a course" in ids
