"""``attendance camera`` and ``attendance keys rotate`` with credentials in a camera URL."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from attendance.cli import main
from attendance.crypto import TemplateCipher
from attendance.db import Camera
from attendance.services.cameras import camera_source
from tests.conftest import make_settings

from .cli_helpers import make_cli

SOURCE = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream"


def test_camera_add_and_list_never_print_the_password(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    added = cli("camera", "add", "room-1", SOURCE)
    assert added.exit_code == 0, added.output
    listed = cli("camera", "list")
    assert listed.exit_code == 0, listed.output
    for output in (added.output, listed.output):
        assert "rtsp://cam.local:554/stream" in output
        assert "ssW0rd" not in output
        assert "admin" not in output
    with cli.session() as session:
        camera = session.scalars(select(Camera)).one()
        assert camera.source == "rtsp://cam.local:554/stream"
        assert camera.source_key_id == "k1"
        cipher = TemplateCipher.from_settings(make_settings(tmp_path))
        assert camera_source(camera, cipher) == SOURCE


def test_keys_rotate_encrypts_old_plain_sources_and_moves_them_to_the_new_key(
    tmp_path: Path,
) -> None:
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        session.add(Camera(name="old", source="http://cam/x?user=admin&pwd=S3cret"))
    assert "S3cret" not in cli("camera", "list").output  # redacted even before rotation
    rotated = cli("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    assert "1 camera source(s)" in rotated.output
    with cli.session() as session:
        camera = session.scalars(select(Camera)).one()
        assert camera.source == "http://cam/x?user=***&pwd=***"
        assert camera.source_key_id == "k1"
    result = CliRunner().invoke(main, ["keys", "rotate"], env={
        "ATTENDANCE_INSTANCE_PATH": str(cli.instance),
        "ATTENDANCE_DATABASE_URL": cli.database_url, "ATTENDANCE_TEMPLATE_KEY_ID": "k2"})
    assert result.exit_code == 0, result.output
    with cli.session() as session:
        camera = session.scalars(select(Camera)).one()
        assert camera.source_key_id == "k2"
        cipher = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k2"))
        assert camera_source(camera, cipher) == "http://cam/x?user=admin&pwd=S3cret"
