"""Headers, cookies, CSRF and upload limits set by the app factory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from tests.conftest import make_settings
from webui import create_app

from .conftest import PASSWORD, AuthActions, Classroom

TEMPLATES = Path(__file__).parents[2] / "webui" / "templates"


def test_security_headers(client: FlaskClient) -> None:
    for url in ("/auth/login", "/static/style.css", "/courses/"):
        response = client.get(url)
        response.close()  # a static file is streamed from an open file
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_templates() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "<style" not in text, template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def test_session_cookie_flags(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_cookie_secure_and_limits_from_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, cookie_secure=True, max_image_bytes=1000,
                             max_photos_per_upload=7)
    app = create_app(settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == settings.secret_key
    assert app.config["MAX_CONTENT_LENGTH"] > 1000 * 7
    assert app.config["MAX_CONTENT_LENGTH"] < 1000 * 7 + 2 * 1024 * 1024
    app.extensions["attendance.engine"].dispose()


def _token(page: str) -> str:
    match = re.search(r'name="(?:s\d+-)?csrf_token" type="hidden" value="([^"]+)"', page)
    assert match is not None
    return match[1]


def test_csrf_token_required(
    settings: Settings, session_factory: sessionmaker[Session], classroom: Classroom
) -> None:
    app = create_app(settings, overrides={"TESTING": True, "SESSION_FACTORY": session_factory})
    client = app.test_client()
    data = {"username": "alice", "password": PASSWORD}
    refused = client.post("/auth/login", data=data)
    assert refused.status_code == 400
    assert b"The form expired" in refused.data
    token = _token(client.get("/auth/login").get_data(as_text=True))
    assert client.post("/auth/login", data={**data, "csrf_token": token}).status_code == 302
    # Signed in, state-changing forms without the token are still refused ...
    assert client.post("/courses/new", data={"code": "X1", "name": "X"}).status_code == 400
    assert client.post("/auth/logout").status_code == 400
    student = classroom.student_ids[0]
    url = f"/sessions/{classroom.session_id}/students/{student}/override"
    fields = {f"s{student}-status": "excused", f"s{student}-reason": "ill"}
    assert client.post(url, data=fields).status_code == 400
    # ... and accepted with it, also from a form whose fields carry a prefix.
    token = _token(client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True))
    response = client.post(url, data={**fields, f"s{student}-csrf_token": token})
    assert response.status_code == 302


def test_upload_too_large(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = client.post("/students/enroll", data={"student_number": "x" * 200})
    assert response.status_code == 413
    assert b"upload is too large" in response.data


@pytest.mark.parametrize("url", ["/nowhere", "/courses/999999"])
def test_not_found_page(client: FlaskClient, auth: AuthActions, url: str) -> None:
    auth.login()
    response = client.get(url)
    assert response.status_code == 404
    assert b"not yours to see" in response.data


def test_every_post_route_needs_the_csrf_token(
    settings: Settings, session_factory: sessionmaker[Session], classroom: Classroom
) -> None:
    """Signed in as the admin (who passes every scope check), a POST without the token to
    any route is refused before the view runs, whatever the route."""
    app = create_app(settings, overrides={"TESTING": True, "SESSION_FACTORY": session_factory})
    client = app.test_client()
    token = _token(client.get("/auth/login").get_data(as_text=True))
    client.post("/auth/login", data={"username": "admin", "password": PASSWORD,
                                     "csrf_token": token})
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()) or rule.endpoint == "auth.login":
            continue
        url = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        response = client.post(url, data={"student_id": "1", "name": "x", "source": "0"})
        assert response.status_code == 400, url
        assert b"The form expired" in response.data, url
        checked += 1
    assert checked >= 12
