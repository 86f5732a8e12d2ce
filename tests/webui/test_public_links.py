"""The check-in link shown to students: the address other devices use (``public_url``), and a
warning instead of a silent ``http://127.0.0.1:5000/checkin`` that no phone can open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import ClassSession
from attendance.errors import ConfigError
from tests.conftest import make_settings
from webui import create_app
from webui.public_links import is_loopback

from .conftest import PASSWORD, Classroom, FakeEmbedder


def _running(factory: sessionmaker[Session], classroom: Classroom) -> None:
    with factory.begin() as session:
        row = session.get(ClassSession, classroom.session_id)
        assert row is not None
        row.starts_at = datetime.now(UTC) - timedelta(minutes=2)
        row.ends_at = row.starts_at + timedelta(minutes=90)


def _session_page(app: Flask, classroom: Classroom, base_url: str) -> str:
    client = app.test_client()
    client.post("/auth/login", data={"username": "alice", "password": PASSWORD},
                base_url=base_url)
    return client.post(f"/sessions/{classroom.session_id}/checkin-code", base_url=base_url,
                       follow_redirects=True).get_data(as_text=True)


@pytest.mark.parametrize("host", ["http://127.0.0.1:5000", "http://localhost:5000",
                                  "http://[::1]:5000"])
def test_a_loopback_address_comes_with_a_warning(
    app: Flask, classroom: Classroom, session_factory: sessionmaker[Session], host: str,
) -> None:
    _running(session_factory, classroom)
    page = _session_page(app, classroom, host)
    assert f">{host}/checkin</a>" in page
    assert "only this computer can open that address: set <code>public_url</code>" in page


def test_the_public_address_is_shown_when_configured(
    settings: Settings, classroom: Classroom, session_factory: sessionmaker[Session],
    tmp_path: object,
) -> None:
    _running(session_factory, classroom)
    configured = make_settings(settings.instance_path.parent,
                               public_url="https://attendance.school.example/")
    app = create_app(configured, overrides={"TESTING": True, "WTF_CSRF_ENABLED": False,
                                            "SESSION_FACTORY": session_factory,
                                            "EMBEDDERS": [FakeEmbedder()]})
    page = _session_page(app, classroom, "http://127.0.0.1:5000")
    assert ">https://attendance.school.example/checkin</a>" in page
    assert "only this computer" not in page


def test_a_network_address_needs_no_warning(
    app: Flask, classroom: Classroom, session_factory: sessionmaker[Session],
) -> None:
    _running(session_factory, classroom)
    page = _session_page(app, classroom, "http://192.168.1.20:5000")
    assert ">http://192.168.1.20:5000/checkin</a>" in page
    assert "only this computer" not in page


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1:5000", True), ("127.0.1.1", True), ("localhost", True), ("[::1]:80", True),
    ("LOCALHOST:5000", True), ("192.168.1.20:5000", False), ("attendance.school", False),
    ("[2001:db8::1]:443", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("bad", ["attendance.school", "ftp://x", "https://x/?q=1",
                                 "https://user@x", "https://"])
def test_a_bad_public_url_stops_start_up(tmp_path: object, bad: str) -> None:
    with pytest.raises(ConfigError, match="public_url"):
        make_settings(tmp_path, public_url=bad)  # type: ignore[arg-type]
