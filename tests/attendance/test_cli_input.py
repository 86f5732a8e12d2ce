"""Every ``attendance`` command refuses arguments holding control characters, before it
touches the database (a NUL in a PostgreSQL text column used to end in a traceback)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from attendance.db import Camera, Course, Student

from .cli_helpers import Cli


@pytest.fixture
def cli(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The command line on the test's database (SQLite and PostgreSQL)."""
    return Cli(tmp_path_factory.mktemp("cli") / "instance", engine.url.render_as_string(False))


@pytest.mark.parametrize("args", [
    ("camera", "add", "room\x00", "0"),
    ("camera", "add", "room-1", "rtsp://cam/\x1b[2Jlive"),
    ("course", "add", "BIO1", "Bio\x07logy", "--tz", "UTC"),
    ("course", "roster", "BIO1", "--add", "S0\n01"),
    ("user", "create", "te\tacher", "--teacher", "--generate"),
])
def test_control_characters_in_arguments_are_refused(cli: Cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "contains the control character U+00" in result.output
    with cli.session() as session:
        for table in (Camera, Course, Student):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_clean_arguments_still_work(cli: Cli) -> None:
    result = cli("camera", "add", "room-1", "0")
    assert result.exit_code == 0, result.output
