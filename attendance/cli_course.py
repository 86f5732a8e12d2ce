"""``attendance course``: courses, weekly schedules, rosters and class sessions."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click

from .cli_support import cli_settings, cli_transaction, domain_errors_as_click
from .db import ClassSession, Course
from .errors import AttendanceError
from .services.courses import (
    UNSET,
    Slot,
    create_course,
    get_course,
    list_courses,
    parse_slot,
    update_course,
)
from .services.roster import add_to_roster, remove_from_roster, roster
from .services.schedule import local_day_bounds, materialize_sessions, sessions_for_course
from .services.users import get_user_by_username

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _slots(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[Slot]:
    try:
        return [parse_slot(value) for value in values]
    except AttendanceError as exc:
        raise click.BadParameter(str(exc)) from exc


_slot_option = click.option(
    "--slot",
    "slots",
    multiple=True,
    callback=_slots,
    metavar='"DAY HH:MM-HH:MM"',
    help='A weekly slot in the course\'s time zone, e.g. "mon 09:00-10:30"; repeatable.',
)


@click.group()
def course() -> None:
    """Manage courses, their weekly schedule, roster and sessions."""


@course.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--tz", "timezone", help="IANA time zone, e.g. Europe/Berlin [settings default].")
@click.option(
    "--late-after",
    type=int,
    default=10,
    show_default=True,
    help="Minutes after the start after which a first sighting counts as late.",
)
@_slot_option
@click.option("--camera", "camera_name", help="Name of a camera added with 'camera add'.")
@click.option("--teacher", help="Username of the course's teacher.")
@domain_errors_as_click
def add(
    code: str,
    name: str,
    timezone: str | None,
    late_after: int,
    slots: list[Slot],
    camera_name: str | None,
    teacher: str | None,
) -> None:
    """Create course CODE called NAME."""
    settings = cli_settings()
    with cli_transaction(settings) as session:
        teacher_id = get_user_by_username(session, teacher).id if teacher else None
        row = create_course(
            session,
            code=code,
            name=name,
            timezone=timezone or settings.timezone,
            late_after_minutes=late_after,
            slots=slots,
            camera_name=camera_name,
            teacher_id=teacher_id,
        )
        summary = _describe(row)
    click.echo(f"Created {summary}")


@course.command("update")
@click.argument("code")
@click.option("--name", help="New name.")
@click.option("--tz", "timezone", help="New IANA time zone.")
@click.option("--late-after", type=int, help="New late-after minutes.")
@_slot_option
@click.option("--clear-schedule", is_flag=True, help="Remove every weekly slot.")
@click.option("--camera", "camera_name", help="Attach this camera.")
@click.option("--no-camera", is_flag=True, help="Detach the camera.")
@domain_errors_as_click
def update(
    code: str,
    name: str | None,
    timezone: str | None,
    late_after: int | None,
    slots: list[Slot],
    clear_schedule: bool,
    camera_name: str | None,
    no_camera: bool,
) -> None:
    """Change course CODE; --slot replaces the whole weekly schedule."""
    if (slots and clear_schedule) or (camera_name and no_camera):
        raise click.UsageError(
            "contradictory options: --slot with --clear-schedule, or --camera with --no-camera"
        )
    new_slots = slots if slots else ([] if clear_schedule else None)
    with cli_transaction(cli_settings()) as session:
        row = update_course(
            session,
            code,
            name=name,
            timezone=timezone,
            late_after_minutes=late_after,
            slots=new_slots,
            # The camera is left as it is unless --camera or --no-camera says otherwise.
            camera_name=camera_name if (camera_name or no_camera) else UNSET,
        )
        summary = _describe(row)
    click.echo(f"Updated {summary}")


@course.command("list")
@domain_errors_as_click
def list_() -> None:
    """List every course with its schedule."""
    with cli_transaction(cli_settings()) as session:
        lines = [_describe(row) for row in list_courses(session)]
    click.echo(
        "\n".join(lines) if lines else "No courses yet; add one with 'attendance course add'."
    )


@course.command("roster")
@click.argument("code")
@click.option("--add", "to_add", multiple=True, metavar="NUMBER", help="Student number to add.")
@click.option(
    "--remove", "to_remove", multiple=True, metavar="NUMBER", help="Student number to remove."
)
@domain_errors_as_click
def roster_(code: str, to_add: tuple[str, ...], to_remove: tuple[str, ...]) -> None:
    """Show the roster of CODE, after adding or removing students by student number."""
    with cli_transaction(cli_settings()) as session:
        row = get_course(session, code)
        added = add_to_roster(session, row.id, student_numbers=to_add) if to_add else []
        removed = remove_from_roster(session, row.id, student_numbers=to_remove) if to_remove else 0
        students = [f"{s.student_number}\t{s.display_name}" for s in roster(session, row.id)]
    if to_add or to_remove:
        click.echo(f"Added {len(added)}, removed {removed}.")
    click.echo(f"{code}: {len(students)} student(s)")
    if students:
        click.echo("\n".join(students))


@course.command("sessions")
@click.argument("code")
@click.option("--from", "date_from", type=_DATE, required=True, help="First date, YYYY-MM-DD.")
@click.option("--to", "date_to", type=_DATE, required=True, help="Last date, YYYY-MM-DD.")
@domain_errors_as_click
def sessions(code: str, date_from: datetime, date_to: datetime) -> None:
    """Create the sessions of CODE's weekly schedule between two dates (inclusive, in the
    course's time zone) and list all its sessions then, in local time."""
    with cli_transaction(cli_settings()) as session:
        row = get_course(session, code)
        first, last = date_from.date(), date_to.date()
        created = materialize_sessions(session, row.id, first, last)
        zone = ZoneInfo(row.timezone)
        lower, upper = local_day_bounds(zone, first, last)
        lines = [
            _session_line(s, zone)
            for s in sessions_for_course(session, row.id, starts_from=lower, starts_before=upper)
        ]
    click.echo(f"{code}: {len(created)} new session(s); times in {zone.key}")
    if lines:
        click.echo("\n".join(lines))


def _describe(row: Course) -> str:
    slots = ", ".join(str(Slot(s.weekday, s.start_time, s.end_time)) for s in row.schedule)
    camera = row.camera.name if row.camera else "no camera"
    return (
        f"{row.code}\t{row.name}\t{row.timezone}\tlate after {row.late_after_minutes} min"
        f"\t{camera}\t{slots or 'no schedule'}"
    )


def _session_line(row: ClassSession, zone: ZoneInfo) -> str:
    start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
    kind = "ad hoc" if row.schedule_id is None else "scheduled"
    return f"{row.id}\t{start:%Y-%m-%d %a %H:%M}-{end:%H:%M} {start:%Z}\t{kind}"
