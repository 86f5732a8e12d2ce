"""``attendance user create`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from attendance.db import User
from attendance.services.users import verify_password

from .cli_helpers import Cli, make_cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


def stored(cli: Cli, username: str) -> User | None:
    with cli.session() as session:
        return session.scalar(select(User).where(User.username == username))


def test_password_from_stdin_creates_teacher_by_default(cli: Cli) -> None:
    result = cli("user", "create", "tina", "--password-stdin", input="long password\n")
    assert result.exit_code == 0, result.output
    assert "Created teacher 'tina'" in result.output
    user = stored(cli, "tina")
    assert user is not None
    assert user.role == "teacher"
    assert verify_password(user, "long password")


def test_prompted_twice_for_admin(cli: Cli) -> None:
    result = cli("user", "create", "root", "--admin", input="hunter2hunter2\nhunter2hunter2\n")
    assert result.exit_code == 0, result.output
    assert "hunter2hunter2" not in result.output  # hidden input is not echoed
    user = stored(cli, "root")
    assert user is not None
    assert user.role == "admin"


def test_generated_password_is_printed_once_and_works(cli: Cli) -> None:
    result = cli("user", "create", "gen", "--generate")
    assert result.exit_code == 0, result.output
    password = next(
        line.removeprefix("Password: ")
        for line in result.output.splitlines()
        if line.startswith("Password: ")
    )
    user = stored(cli, "gen")
    assert user is not None
    assert verify_password(user, password)


def test_refusals_exit_non_zero_and_write_nothing(cli: Cli) -> None:
    short = cli("user", "create", "sam", "--password-stdin", input="short\n")
    assert short.exit_code == 1
    assert "Error: password is too short" in short.output
    assert stored(cli, "sam") is None
    both = cli("user", "create", "sam", "--password-stdin", "--generate")
    assert both.exit_code == 2
    assert "not both" in both.output
    cli("user", "create", "sam", "--generate")
    dup = cli("user", "create", "sam", "--generate")
    assert dup.exit_code == 1
    assert "already exists" in dup.output


def test_ensure_admin_creates_one_admin_once(cli: Cli) -> None:
    first = cli("user", "ensure-admin")
    assert first.exit_code == 0, first.output
    password = first.output.split("with password: ")[1].split()[0]
    admin = stored(cli, "admin")
    assert admin is not None
    assert admin.role == "admin"
    assert verify_password(admin, password)
    again = cli("user", "ensure-admin")
    assert again.exit_code == 0, again.output
    assert "Admin account exists: log in as 'admin'" in again.output
    with cli.session() as session:
        assert len(session.scalars(select(User)).all()) == 1
