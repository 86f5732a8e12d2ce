"""A lost template key file stops every process that needs the key; a new key is never made
in its place while stored data needs the old one. A fresh install still creates its key."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session

from attendance import migrate
from attendance.cli import main
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import make_engine, make_session_factory
from attendance.errors import MissingTemplateKey
from attendance.services.cameras import create_camera, issue_camera_token
from attendance.services.key_check import check_template_keys, checked_cipher
from tests.attendance.services.test_template_keys import _student
from tests.conftest import make_settings


def _key_file(settings: Settings, key_id: str = "k1") -> Path:
    return settings.instance_path / "keys" / f"{key_id}.key"


def test_fresh_install_creates_its_key(db_session: Session, settings: Settings) -> None:
    assert not _key_file(settings).exists()
    cipher = checked_cipher(db_session, settings)
    assert cipher.key_id == "k1"
    assert _key_file(settings).is_file()


def test_missing_key_file_with_encrypted_templates_is_refused(
    db_session: Session, settings: Settings
) -> None:
    _student(db_session, "A1", [1, 0, 0], TemplateCipher.from_settings(settings))
    _key_file(settings).unlink()
    with pytest.raises(MissingTemplateKey) as refused:
        checked_cipher(db_session, settings)
    message = str(refused.value)
    assert str(_key_file(settings)) in message
    assert "key id 'k1'" in message
    assert "1 embeddings" in message
    assert "restore" in message
    assert not _key_file(settings).exists()  # never silently replaced


@pytest.mark.parametrize("damage", ["garbage", "directory", "wrong length"])
def test_unreadable_or_damaged_key_file_is_refused(
    db_session: Session, settings: Settings, damage: str
) -> None:
    _student(db_session, "A1", [1, 0, 0], TemplateCipher.from_settings(settings))
    path = _key_file(settings)
    path.unlink()
    if damage == "garbage":
        path.write_text("not base64 at all!\n")
    elif damage == "directory":
        path.mkdir()
    else:
        path.write_text(base64.b64encode(b"short").decode())
    with pytest.raises(MissingTemplateKey, match="k1"):
        check_template_keys(db_session, settings)


def test_camera_sources_and_old_keys_count_too(
    db_session: Session, settings: Settings
) -> None:
    """After a rotation to k2 has begun, data under k1 still needs k1's file; k2 (which
    nothing uses yet) may be created."""
    old = TemplateCipher.from_settings(settings)
    create_camera(db_session, name="cam", source="rtsp://u:secret@cam/x", cipher=old)
    rotated = make_settings(settings.instance_path.parent, template_key_id="k2")
    assert checked_cipher(db_session, rotated).key_id == "k2"
    _key_file(settings).unlink()
    with pytest.raises(MissingTemplateKey, match="1 camera sources"):
        checked_cipher(db_session, rotated)


def test_a_key_given_in_the_settings_needs_no_file(
    db_session: Session, settings: Settings
) -> None:
    key = TemplateCipher.from_settings(settings)
    _student(db_session, "A1", [1, 0, 0], key)
    text = _key_file(settings).read_text()
    _key_file(settings).unlink()
    given = make_settings(settings.instance_path.parent, template_key=text.strip())
    checked_cipher(db_session, given)
    assert not _key_file(settings).exists()


# --- the commands: each refuses to start, naming the file ------------------------------------


@pytest.fixture
def lost_key(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    """A migrated SQLite database with an encrypted template and a camera with a token,
    whose key file has been lost; and the environment the commands read."""
    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings)
    with make_session_factory(engine).begin() as session:
        _student(session, "A1", [1, 0, 0], TemplateCipher.from_settings(settings))
        create_camera(session, name="room-1", source="0")
        token = issue_camera_token(session, "room-1")
    engine.dispose()
    _key_file(settings).unlink()
    env = {"ATTENDANCE_INSTANCE_PATH": str(settings.instance_path),
           "ATTENDANCE_DATABASE_URL": settings.database_url, "ATTENDANCE_WORKER_TOKEN": token}
    return settings, env


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _assert_refused(result: Result, settings: Settings) -> None:
    assert result.exit_code == 1, result.output
    assert "refusing to start" in result.output
    assert f"restore {_key_file(settings)}" in result.output
    assert not _key_file(settings).exists()


def test_serve_refuses_to_start(
    lost_key: tuple[Settings, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, env = lost_key
    monkeypatch.setattr("webui.cli.run_server", lambda *a, **k: pytest.fail("server started"))
    _assert_refused(_run(env, "serve", "--no-worker"), settings)


def test_worker_refuses_to_start(
    lost_key: tuple[Settings, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, env = lost_key

    def started(*_a: object, **_k: object) -> None:
        pytest.fail("worker started")

    monkeypatch.setattr("attendance.worker.runner.CameraWorker.for_camera", started)
    _assert_refused(_run(env, "worker", "--camera", "room-1"), settings)


@pytest.mark.parametrize("args", [("keys", "rotate"), ("enroll", ".", "--consent-by", "x"),
                                  ("camera", "add", "room-2", "rtsp://u:secret@cam/x")])
def test_commands_needing_the_key_refuse(
    lost_key: tuple[Settings, dict[str, str]], args: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, env = lost_key
    monkeypatch.setattr("enrollment.cli.load_embedders",
                        lambda *a, **k: pytest.fail("models loaded"))
    _assert_refused(_run(env, *args), settings)
