"""``attendance course`` and ``attendance camera`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from attendance.db import ClassSession, Course, Enrollment, Student

from .cli_helpers import Cli, make_cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path)


def add_students(cli: Cli, *numbers: str) -> None:
    with cli.session() as session:
        session.add_all(Student(student_number=n, display_name=f"Name {n}") for n in numbers)
        session.commit()


def test_camera_then_course_with_slots_and_list(cli: Cli) -> None:
    result = cli("camera", "add", "room-101", "rtsp://10.0.0.5/live")
    assert result.exit_code == 0, result.output
    assert "Added camera 'room-101'" in result.output
    result = cli(
        "course",
        "add",
        "CS101",
        "Intro to CS",
        "--tz",
        "Europe/Berlin",
        "--late-after",
        "5",
        "--slot",
        "mon 09:00-10:30",
        "--slot",
        "thu 14:00-15:30",
        "--camera",
        "room-101",
    )
    assert result.exit_code == 0, result.output
    listed = cli("course", "list")
    assert listed.exit_code == 0, listed.output
    assert "CS101\tIntro to CS\tEurope/Berlin\tlate after 5 min\troom-101" in listed.output
    assert "mon 09:00-10:30, thu 14:00-15:30" in listed.output
    cameras = cli("camera", "list")
    assert "room-101\trtsp://10.0.0.5/live\tnever seen" in cameras.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tz", "Nowhere/City"], "IANA"),
        (["--late-after", "-3"], "0 or more"),
        (["--slot", "mon 09:00-10:00", "--slot", "mon 09:30-11:00"], "overlap"),
        (["--slot", "someday 9"], "mon 09:00-10:30"),
        (["--camera", "ghost"], "camera add"),
    ],
)
def test_course_add_refuses_bad_input_and_writes_nothing(
    cli: Cli, args: list[str], message: str
) -> None:
    result = cli("course", "add", "CS101", "Intro", *args)
    assert result.exit_code != 0
    assert "Error" in result.output
    assert message in result.output
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(Course)) == 0


def test_duplicate_course_and_camera_are_refused(cli: Cli) -> None:
    assert cli("course", "add", "C1", "A").exit_code == 0
    again = cli("course", "add", "C1", "B")
    assert again.exit_code == 1
    assert "Error: a course with code 'C1' already exists" in again.output
    assert cli("camera", "add", "cam", "0").exit_code == 0
    assert "already exists" in cli("camera", "add", "cam", "1").output
    bad = cli("camera", "add", "cam2", "ftp://x")
    assert bad.exit_code == 1
    assert "not supported" in bad.output


def test_course_update_replaces_schedule(cli: Cli) -> None:
    cli("course", "add", "C1", "A", "--tz", "UTC", "--slot", "mon 09:00-10:00")
    result = cli("course", "update", "C1", "--slot", "fri 08:00-09:00", "--late-after", "0")
    assert result.exit_code == 0, result.output
    assert "late after 0 min" in result.output
    assert "fri 08:00-09:00" in result.output
    assert "mon" not in result.output
    cleared = cli("course", "update", "C1", "--clear-schedule")
    assert "no schedule" in cleared.output


def test_roster_add_remove_and_unknown_number(cli: Cli) -> None:
    add_students(cli, "s1", "s2")
    cli("course", "add", "C1", "A")
    result = cli("course", "roster", "C1", "--add", "s1", "--add", "s2")
    assert result.exit_code == 0, result.output
    assert "Added 2, removed 0." in result.output
    assert "s2\tName s2" in result.output
    result = cli("course", "roster", "C1", "--add", "s1", "--remove", "s2")
    assert "Added 0, removed 1." in result.output
    assert "1 student(s)" in result.output
    bad = cli("course", "roster", "C1", "--add", "s2", "--add", "s404")
    assert bad.exit_code == 1
    assert "s404" in bad.output
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(Enrollment)) == 1
    missing = cli("course", "roster", "NOPE")
    assert missing.exit_code == 1
    assert "course list" in missing.output


def test_sessions_are_materialised_once_and_listed_in_local_time(cli: Cli) -> None:
    cli("course", "add", "C1", "A", "--tz", "Europe/Berlin", "--slot", "mon 09:00-10:30")
    result = cli("course", "sessions", "C1", "--from", "2024-03-25", "--to", "2024-04-01")
    assert result.exit_code == 0, result.output
    assert "2 new session(s); times in Europe/Berlin" in result.output
    assert "2024-03-25 Mon 09:00-10:30 CET\tscheduled" in result.output
    assert "2024-04-01 Mon 09:00-10:30 CEST\tscheduled" in result.output
    again = cli("course", "sessions", "C1", "--from", "2024-03-25", "--to", "2024-04-01")
    assert "0 new session(s)" in again.output
    assert "CEST" in again.output
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(ClassSession)) == 2
    bad = cli("course", "sessions", "C1", "--from", "2024-04-02", "--to", "2024-04-01")
    assert bad.exit_code == 1
    assert "Error: date range" in bad.output
    assert cli("course", "sessions", "C1", "--from", "yesterday", "--to", "x").exit_code == 2
