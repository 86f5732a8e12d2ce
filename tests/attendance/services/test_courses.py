"""Courses, weekly slots, rosters and cameras."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.camera_sources import redact_source
from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Enrollment, User
from attendance.errors import Conflict, InvalidInput, NotFound
from attendance.services.cameras import camera_source, create_camera, get_camera, list_cameras
from attendance.services.courses import (
    Slot,
    create_course,
    get_course,
    list_courses,
    parse_slot,
    update_course,
    validate_slots,
)
from attendance.services.roster import add_to_roster, remove_from_roster, roster

from .factories import add_student

MON_9 = Slot(0, time(9), time(10, 30))
WED_14 = Slot(2, time(14), time(15))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 09:00-10:30", Slot(0, time(9), time(10, 30))),
        ("Sunday 8:05 - 9:00", Slot(6, time(8, 5), time(9))),
        ("  WED 14:00-15:00 ", Slot(2, time(14), time(15))),
    ],
)
def test_parse_slot_accepts_day_names_and_times(text: str, expected: Slot) -> None:
    assert parse_slot(text) == expected
    assert str(expected) == str(parse_slot(str(expected)))


@pytest.mark.parametrize(
    "text", ["mon 9-10", "xyz 09:00-10:00", "mon 10:00-09:00", "mon 25:00-26:00", "mon 09:00"]
)
def test_parse_slot_refuses_nonsense_with_an_example(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_slot(text)


def test_overlapping_slots_on_one_day_are_refused_touching_ones_are_not() -> None:
    with pytest.raises(InvalidInput, match="overlap"):
        validate_slots([Slot(0, time(9), time(10)), Slot(0, time(9, 30), time(11))])
    touching = [Slot(0, time(10), time(11)), Slot(0, time(9), time(10))]
    assert validate_slots(touching) == sorted(touching)
    assert validate_slots([Slot(0, time(9), time(10)), Slot(1, time(9), time(10))])


def test_create_course_with_schedule_camera_and_teacher(db_session: Session) -> None:
    camera = create_camera(db_session, name="room-101", source="rtsp://cam.local/stream")
    teacher = User(username="t", password_hash="x", role="teacher")
    db_session.add(teacher)
    db_session.flush()
    course = create_course(
        db_session,
        code="CS101",
        name="Intro",
        timezone="Europe/Berlin",
        late_after_minutes=5,
        slots=[WED_14, MON_9],
        camera_name="room-101",
        teacher_id=teacher.id,
    )
    db_session.expire_all()
    loaded = get_course(db_session, "CS101")
    assert loaded.id == course.id
    assert (loaded.timezone, loaded.late_after_minutes) == ("Europe/Berlin", 5)
    assert loaded.camera_id == camera.id
    assert loaded.teacher_id == teacher.id
    assert [(s.weekday, s.start_time, s.end_time) for s in loaded.schedule] == [
        (0, time(9), time(10, 30)),
        (2, time(14), time(15)),
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"timezone": "Mars/Olympus"}, InvalidInput, "IANA"),
        ({"timezone": "../../etc/passwd"}, InvalidInput, "IANA"),
        ({"late_after_minutes": -1}, InvalidInput, "0 or more"),
        ({"code": "has space"}, InvalidInput, "code"),
        ({"name": "  "}, InvalidInput, "name"),
        ({"camera_name": "nowhere"}, NotFound, "camera add"),
        ({"teacher_id": 999}, NotFound, "user"),
        ({"slots": [MON_9, Slot(0, time(10), time(11))]}, InvalidInput, "overlap"),
    ],
)
def test_create_course_refuses_bad_input(
    db_session: Session, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    values: dict[str, object] = {"code": "C1", "name": "N", "timezone": "UTC"}
    values.update(kwargs)
    with pytest.raises(error, match=message):
        create_course(db_session, **values)  # type: ignore[arg-type]
    assert list_courses(db_session) == []


def test_course_code_is_unique(db_session: Session) -> None:
    create_course(db_session, code="C1", name="A", timezone="UTC")
    with pytest.raises(Conflict, match="already exists"):
        create_course(db_session, code="C1", name="B", timezone="UTC")


def test_update_replaces_schedule_and_keeps_unchanged_slot_ids(db_session: Session) -> None:
    course = create_course(db_session, code="C1", name="A", timezone="UTC", slots=[MON_9, WED_14])
    monday_id = course.schedule[0].id
    friday = Slot(4, time(8), time(9))
    update_course(
        db_session,
        "C1",
        slots=[Slot(0, time(9), time(11)), friday],
        name="B",
        late_after_minutes=0,
        timezone="Asia/Tokyo",
    )
    db_session.expire_all()
    course = get_course(db_session, "C1")
    assert (course.name, course.late_after_minutes, course.timezone) == ("B", 0, "Asia/Tokyo")
    assert [(s.weekday, s.start_time, s.end_time) for s in course.schedule] == [
        (0, time(9), time(11)),
        (4, time(8), time(9)),
    ]
    assert course.schedule[0].id == monday_id
    update_course(db_session, "C1", slots=[])
    db_session.expire_all()
    assert get_course(db_session, "C1").schedule == []


def test_update_sets_and_clears_camera_but_leaves_omitted_fields(db_session: Session) -> None:
    create_camera(db_session, name="cam", source="0")
    create_course(db_session, code="C1", name="A", timezone="UTC", slots=[MON_9])
    course = update_course(db_session, "C1", camera_name="cam")
    assert course.camera is not None
    assert course.camera.name == "cam"
    course = update_course(db_session, "C1", camera_name=None)
    assert course.camera_id is None
    assert course.name == "A"
    assert len(course.schedule) == 1
    with pytest.raises(NotFound):
        update_course(db_session, "missing", name="x")


def test_roster_add_and_remove_are_idempotent_by_id_or_number(db_session: Session) -> None:
    course = create_course(db_session, code="C1", name="A", timezone="UTC")
    ann, bob = add_student(db_session, "s1"), add_student(db_session, "s2")
    assert add_to_roster(db_session, course.id, student_ids=[ann.id]) == [ann]
    assert add_to_roster(db_session, course.id, student_numbers=["s1", "s2"]) == [bob]
    assert add_to_roster(db_session, course.id, student_ids=[ann.id, bob.id]) == []
    assert [s.student_number for s in roster(db_session, course.id)] == ["s1", "s2"]
    assert remove_from_roster(db_session, course.id, student_numbers=["s1"]) == 1
    assert remove_from_roster(db_session, course.id, student_numbers=["s1"]) == 0
    assert [s.id for s in roster(db_session, course.id)] == [bob.id]


def test_roster_with_unknown_student_changes_nothing(db_session: Session) -> None:
    course = create_course(db_session, code="C1", name="A", timezone="UTC")
    add_student(db_session, "s1")
    with pytest.raises(NotFound, match="s9"):
        add_to_roster(db_session, course.id, student_numbers=["s1", "s9"])
    assert db_session.scalars(select(Enrollment)).all() == []


@pytest.mark.parametrize(
    "source", ["0", "/videos/room 1.mp4", "rtsp://user:pw@10.0.0.5:554/live", "https://x/y.mjpg"]
)
def test_camera_sources_accepted(db_session: Session, source: str, settings: Settings) -> None:
    cipher = TemplateCipher.from_settings(settings)
    camera = create_camera(db_session, name="cam", source=source, cipher=cipher)
    assert camera_source(get_camera(db_session, "cam"), cipher) == source
    assert camera.source == redact_source(source)  # credentials only in encrypted form


@pytest.mark.parametrize("source", ["", "ftp://x/y", "rtsp://", "a\nb"])
def test_camera_sources_refused(db_session: Session, source: str) -> None:
    with pytest.raises(InvalidInput):
        create_camera(db_session, name="cam", source=source)


def test_camera_name_unique_and_lookup(db_session: Session) -> None:
    create_camera(db_session, name="b", source="1")
    create_camera(db_session, name="a", source="0")
    with pytest.raises(Conflict):
        create_camera(db_session, name="a", source="2")
    with pytest.raises(NotFound, match="camera add"):
        get_camera(db_session, "zzz")
    assert [c.name for c in list_cameras(db_session)] == ["a", "b"]


def test_refused_update_changes_nothing(db_session: Session) -> None:
    create_course(db_session, code="C1", name="A", timezone="UTC", slots=[MON_9])
    with pytest.raises(InvalidInput, match="overlap"):
        update_course(
            db_session,
            "C1",
            name="B",
            late_after_minutes=3,
            slots=[MON_9, Slot(0, time(10), time(11))],
        )
    with pytest.raises(NotFound):
        update_course(db_session, "C1", name="B", camera_name="ghost")
    course = get_course(db_session, "C1")
    assert (course.name, course.late_after_minutes, len(course.schedule)) == ("A", 10, 1)
