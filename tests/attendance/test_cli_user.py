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


def _one_time(output: str) -> str:
    return output.split("New one-time password for ")[1].split(": ", 1)[1].split()[0]


def test_reset_password_prints_a_one_time_password_once(cli: Cli) -> None:
    cli("user", "create", "tina", "--password-stdin", input="old password\n")
    before = stored(cli, "tina")
    assert before is not None
    result = cli("user", "reset-password", "tina")
    assert result.exit_code == 0, result.output
    password = _one_time(result.output)
    after = stored(cli, "tina")
    assert after is not None
    assert verify_password(after, password)
    assert not verify_password(after, "old password")
    assert after.must_change_password
    assert after.session_version == before.session_version + 1  # signed out everywhere
    missing = cli("user", "reset-password", "nobody")
    assert missing.exit_code == 1
    assert "no user 'nobody'" in missing.output


def test_deactivate_and_reactivate(cli: Cli) -> None:
    cli("user", "create", "boss", "--admin", "--generate")
    cli("user", "create", "tina", "--generate")
    result = cli("user", "deactivate", "tina")
    assert result.exit_code == 0, result.output
    assert "'tina' is deactivated now." in result.output
    tina = stored(cli, "tina")
    assert tina is not None
    assert not tina.active
    assert "already was deactivated" in cli("user", "deactivate", "tina").output
    listing = cli("user", "list").output
    assert "tina\tteacher\tdeactivated" in listing
    assert "boss\tadmin\tactive" in listing
    assert cli("user", "reactivate", "tina").exit_code == 0
    tina = stored(cli, "tina")
    assert tina is not None
    assert tina.active


def test_the_last_active_admin_stays(cli: Cli) -> None:
    cli("user", "create", "boss", "--admin", "--generate")
    result = cli("user", "deactivate", "boss")
    assert result.exit_code == 1
    assert "boss is the only active admin and cannot be deactivated" in result.output
    demote = cli("user", "set-role", "boss", "--teacher")
    assert demote.exit_code == 1
    assert "make another account an admin first" in demote.output
    cli("user", "create", "tina", "--generate")
    assert cli("user", "set-role", "tina", "--admin").exit_code == 0
    assert cli("user", "set-role", "boss", "--teacher").exit_code == 0
    boss = stored(cli, "boss")
    assert boss is not None
    assert boss.role == "teacher"
    assert cli("user", "set-role", "boss").exit_code == 2  # neither --admin nor --teacher
