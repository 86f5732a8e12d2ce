"""Courses and their weekly schedule (the roster: :mod:`attendance.services.roster`).

A course's weekly schedule is a list of :class:`Slot` written in the course's own IANA time
zone (wall-clock times); :mod:`attendance.services.schedule` turns it into UTC class sessions.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Camera, Course, CourseSchedule, User
from ..errors import Conflict, InvalidInput, NotFound
from .cameras import create_camera as create_camera
from .cameras import get_camera as get_camera
from .cameras import list_cameras as list_cameras

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$")
_SLOT_RE = re.compile(
    r"^\s*(?P<day>[A-Za-z]{3})[a-z]*\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


class _Unset(enum.Enum):
    UNSET = 0


#: Marks an optional argument of :func:`update_course` that was not given (None means "clear").
UNSET = _Unset.UNSET


@dataclass(frozen=True, order=True)
class Slot:
    """One weekly meeting: ``weekday`` 0=Monday..6=Sunday, wall-clock ``start`` < ``end``."""

    weekday: int
    start: time
    end: time

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.start:%H:%M}-{self.end:%H:%M}"


def parse_slot(text: str) -> Slot:
    """Parse ``"mon 09:00-10:30"`` (weekday name or 3-letter prefix, 24-hour times)."""
    match = _SLOT_RE.match(text)
    day = match["day"].lower() if match else ""
    if not match or day not in WEEKDAYS:
        raise InvalidInput(
            "slot %(text)r is not understood; write it like 'mon 09:00-10:30' (weekday one of "
            "%(weekdays)s, 24-hour times)", text=text, weekdays=', '.join(WEEKDAYS)
        )
    try:
        start = time.fromisoformat(match["start"].zfill(5))
        end = time.fromisoformat(match["end"].zfill(5))
    except ValueError as exc:
        raise InvalidInput("slot %(text)r has an invalid time: %(exc)s",
                           text=text, exc=exc) from exc
    slot = Slot(WEEKDAYS.index(day), start, end)
    validate_slots([slot])
    return slot


def validate_slots(slots: Sequence[Slot]) -> list[Slot]:
    """Check each slot (weekday range, start < end) and that no two overlap on one weekday.

    Slots that only touch (10:00-11:00 and 11:00-12:00) do not overlap. Returns them sorted.
    """
    ordered = sorted(slots)
    for slot in ordered:
        if not 0 <= slot.weekday <= 6:
            raise InvalidInput("weekday %(weekday)s is out of range; use 0 (Monday) to 6",
                               weekday=slot.weekday)
        if not slot.start < slot.end:
            raise InvalidInput(
                "slot %(slot)s ends before it starts; slots cannot cross midnight, split them in "
                "two", slot=slot
            )
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.weekday == after.weekday and after.start < before.end:
            raise InvalidInput("slots %(before)s and %(after)s overlap; remove or shorten one",
                               before=before, after=after)
    return ordered


def validate_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA time zone such as ``Europe/Berlin``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            "time zone %(name)r is unknown; use an IANA name such as 'Europe/Berlin' or 'UTC'",
            name=name
        ) from exc
    return name


def create_course(
    session: Session,
    *,
    code: str,
    name: str,
    timezone: str,
    late_after_minutes: int = 10,
    slots: Sequence[Slot] = (),
    camera_name: str | None = None,
    teacher_id: int | None = None,
    face_recognition_enabled: bool = True,
    by: Principal | None = None,
) -> Course:
    """Create a course with its weekly schedule (``slots`` in ``timezone`` wall-clock time).

    ``late_after_minutes``: a first sighting later than start + this many minutes is late.
    ``face_recognition_enabled`` False: the camera never captures for this course (attendance
    by hand or check-in code only). ``by`` (None: the operator) must be allowed to create a
    course; a teacher's course is their own, and its camera one made available to them.
    """
    access.require(session, by, Action.CREATE_COURSE)
    if by is not None and teacher_id != by.id:
        access.require(session, by, Action.ASSIGN_TEACHER)
    # Input is checked before anything that needs the database, so every mistake in the
    # form is reported even when the code is also taken.
    code = _validate_code(code)
    name = _clean_name(name, 200)
    timezone = validate_timezone(timezone)
    late_after_minutes = _validate_late(late_after_minutes)
    ordered = validate_slots(slots)
    if session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise Conflict("a course with code %(code)r already exists; pick another code", code=code)
    camera = get_camera(session, camera_name) if camera_name is not None else None
    if camera is not None:
        access.require(session, by, Action.USE_CAMERA, camera)
    course = Course(
        code=code,
        name=name,
        timezone=timezone,
        late_after_minutes=late_after_minutes,
        camera=camera,
        teacher_id=_validate_teacher(session, teacher_id),
        face_recognition_enabled=face_recognition_enabled,
    )
    course.schedule = [
        CourseSchedule(weekday=s.weekday, start_time=s.start, end_time=s.end) for s in ordered
    ]
    session.add(course)
    session.flush()
    return course


def update_course(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    late_after_minutes: int | None = None,
    slots: Sequence[Slot] | None = None,
    camera_name: str | None | _Unset = UNSET,
    teacher_id: int | None | _Unset = UNSET,
    face_recognition_enabled: bool | None = None,
    by: Principal | None = None,
) -> Course:
    """Change the given fields of course ``code``; omitted fields stay as they are.

    ``slots`` *replaces* the whole weekly schedule (slots kept unchanged keep their id, so
    sessions already materialised from them stay linked). ``camera_name=None`` or
    ``teacher_id=None`` detach the camera or teacher. Existing class sessions are not moved.
    ``by`` (None: the operator) must be allowed to change the course, to choose its teacher
    when that changes, and to use a camera newly chosen (keeping the current one is fine).
    """
    # Everything is checked before the course is touched: a refusal changes nothing.
    course = get_course(session, code)
    access.require(session, by, Action.CHANGE_COURSE, course)
    name = _clean_name(name, 200) if name is not None else None
    timezone = validate_timezone(timezone) if timezone is not None else None
    late = _validate_late(late_after_minutes) if late_after_minutes is not None else None
    ordered = validate_slots(slots) if slots is not None else None
    camera: Camera | None | _Unset = UNSET
    if not isinstance(camera_name, _Unset):
        camera = get_camera(session, camera_name) if camera_name is not None else None
        if camera is not None and camera.id != course.camera_id:
            access.require(session, by, Action.USE_CAMERA, camera)
    if not isinstance(teacher_id, _Unset):
        _validate_teacher(session, teacher_id)
        if teacher_id != course.teacher_id:
            access.require(session, by, Action.ASSIGN_TEACHER)

    if name is not None:
        course.name = name
    if timezone is not None:
        course.timezone = timezone
    if late is not None:
        course.late_after_minutes = late
    if not isinstance(camera, _Unset):
        course.camera = camera
    if not isinstance(teacher_id, _Unset):
        course.teacher_id = teacher_id
    if ordered is not None:
        _replace_schedule(course, ordered)
    if face_recognition_enabled is not None:
        course.face_recognition_enabled = face_recognition_enabled
    session.flush()
    return course


def get_course(session: Session, code: str) -> Course:
    """The course with ``code``, or :class:`NotFound`."""
    course = session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise NotFound("no course with code %(code)r; see 'attendance course list'", code=code)
    return course


def list_courses(session: Session) -> list[Course]:
    """Every course, by code."""
    return list(session.scalars(select(Course).order_by(Course.code)))


def _replace_schedule(course: Course, slots: list[Slot]) -> None:
    wanted = {(s.weekday, s.start): s for s in slots}
    for row in list(course.schedule):
        slot = wanted.pop((row.weekday, row.start_time), None)
        if slot is None:
            course.schedule.remove(row)  # delete-orphan removes the row
        else:
            row.end_time = slot.end
    course.schedule.extend(
        CourseSchedule(weekday=s.weekday, start_time=s.start, end_time=s.end)
        for s in wanted.values()
    )


def _validate_code(code: str) -> str:
    code = code.strip()
    if not _CODE_RE.match(code):
        raise InvalidInput(
            "course code %(code)r is invalid; use 1-50 letters, digits, '.', '_' or '-', starting "
            "with a letter or digit", code=code
        )
    return code


def _clean_name(value: str, max_length: int) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise InvalidInput("course name must be 1 to %(max_length)s characters long",
                           max_length=max_length)
    return value


def _validate_late(minutes: int) -> int:
    if minutes < 0:
        raise InvalidInput("late-after minutes must be 0 or more, not %(minutes)s", minutes=minutes)
    return minutes


def _validate_teacher(session: Session, teacher_id: int | None) -> int | None:
    if teacher_id is not None and session.get(User, teacher_id) is None:
        raise NotFound("no user with id %(teacher_id)s; create the teacher's account first",
                       teacher_id=teacher_id)
    return teacher_id
