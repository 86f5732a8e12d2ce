"""``attendance camera update`` and ``camera remove``."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from attendance.crypto import TemplateCipher
from attendance.db import Camera, Course
from attendance.services.cameras import camera_source
from attendance.services.courses import create_course
from tests.conftest import make_settings

from .cli_helpers import Cli, make_cli

SOURCE = "rtsp://admin:Pa/ssW0rd@cam.local:554/stream"


def _camera(cli: Cli) -> Camera | None:
    with cli.session() as session:
        return session.scalars(select(Camera)).one_or_none()


def test_update_renames_and_changes_the_source(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    assert cli("camera", "add", "room-1", "0").exit_code == 0
    renamed = cli("camera", "update", "room-1", "--name", "room-101")
    assert renamed.exit_code == 0, renamed.output
    assert "Camera 'room-101': name changed; it reads 0." in renamed.output
    sourced = cli("camera", "update", "room-101", "--source", SOURCE)
    assert sourced.exit_code == 0, sourced.output
    assert "source changed; it reads rtsp://cam.local:554/stream." in sourced.output
    assert "ssW0rd" not in sourced.output
    camera = _camera(cli)
    assert camera is not None
    assert camera_source(camera, TemplateCipher.from_settings(make_settings(tmp_path))) == SOURCE
    assert cli("camera", "update", "room-101").exit_code == 2  # nothing to change
    missing = cli("camera", "update", "nowhere", "--name", "x")
    assert missing.exit_code == 1
    assert "no camera named 'nowhere'" in missing.output


def test_remove_asks_before_detaching_courses(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    cli("camera", "add", "room-1", "0")
    with cli.session() as session, session.begin():
        create_course(session, code="BIO1", name="Biology", timezone="UTC",
                      camera_name="room-1")
    cancelled = cli("camera", "remove", "room-1", input="n\n")
    assert cancelled.exit_code == 1
    assert "Camera 'room-1' films 1 course(s): BIO1. Detach it" in cancelled.output
    assert "Cancelled: nothing was removed." in cancelled.output
    assert _camera(cli) is not None
    confirmed = cli("camera", "remove", "room-1", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert "Removed camera 'room-1'; detached from BIO1." in confirmed.output
    assert _camera(cli) is None
    with cli.session() as session:
        assert session.scalars(select(Course.camera_id)).all() == [None]


def test_remove_with_detach_asks_nothing_and_an_unused_camera_goes_at_once(
    tmp_path: Path,
) -> None:
    cli = make_cli(tmp_path)
    cli("camera", "add", "room-1", "0")
    cli("camera", "add", "room-2", "1")
    with cli.session() as session, session.begin():
        create_course(session, code="BIO1", name="Biology", timezone="UTC",
                      camera_name="room-1")
    assert cli("camera", "remove", "room-1", "--detach").exit_code == 0
    plain = cli("camera", "remove", "room-2")
    assert plain.exit_code == 0, plain.output
    assert plain.output.strip() == "Removed camera 'room-2'."
