"""Refusing to serve in production with a weak secret key or debug on; HTTPS behind a proxy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from attendance.cli import main
from attendance.config import Settings
from attendance.errors import ConfigError
from tests.conftest import make_settings
from webui import cli, create_app
from webui.production import ensure_safe_to_serve, production_problems

from .conftest import PASSWORD, People


def _app(settings: Settings, factory: sessionmaker[Session], **config: object) -> Flask:
    return create_app(settings, overrides={"SESSION_FACTORY": factory, **config})


@pytest.mark.parametrize("key", ["dev", "changeme", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 "short-but-varied-123"])
def test_production_refuses_a_weak_secret_key(
    tmp_path: Path, session_factory: sessionmaker[Session], key: str
) -> None:
    settings = make_settings(tmp_path, secret_key=key)
    with pytest.raises(ConfigError, match="refusing to serve in production"):
        ensure_safe_to_serve(_app(settings, session_factory), settings)


def test_production_refuses_debug_mode(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    app = _app(settings, session_factory, DEBUG=True)
    with pytest.raises(ConfigError, match="debug mode is on"):
        ensure_safe_to_serve(app, settings)


def test_the_generated_key_passes_and_development_only_warns(
    tmp_path: Path, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path)
    assert settings.environment == "production"
    assert production_problems(_app(settings, session_factory), settings) == []
    ensure_safe_to_serve(_app(settings, session_factory), settings)
    dev = make_settings(tmp_path, secret_key="dev", environment="development")
    with caplog.at_level(logging.WARNING):
        ensure_safe_to_serve(_app(dev, session_factory, DEBUG=True), dev)
    assert "well-known placeholder" in caplog.text
    assert "debug mode" in caplog.text


def test_serve_command_refuses_a_placeholder_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served: list[Flask] = []
    monkeypatch.setattr(cli, "_require_migrated", lambda settings: None)
    monkeypatch.setattr(cli, "_serve_wsgi", lambda app, host, port: served.append(app))
    env = {"ATTENDANCE_INSTANCE_PATH": str(tmp_path / "i"), "ATTENDANCE_SECRET_KEY": "changeme"}
    result = CliRunner().invoke(main, ["serve", "--no-worker"], env=env)
    assert result.exit_code == 1
    assert "refusing to serve in production" in result.output
    assert served == []


def test_behind_a_trusted_proxy_https_makes_the_cookie_secure(
    tmp_path: Path, session_factory: sessionmaker[Session], people: People
) -> None:
    settings = make_settings(tmp_path, trusted_proxies=1)
    client = _app(settings, session_factory, WTF_CSRF_ENABLED=False).test_client()
    response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD},
                           headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4"})
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie
