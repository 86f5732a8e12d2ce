"""Materialising class sessions from weekly slots: time zones, DST, idempotency, ranges."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import ClassSession, Course
from attendance.errors import Conflict, InvalidInput, NotFound
from attendance.services.courses import Slot, create_course
from attendance.services.schedule import (
    create_adhoc_session,
    current_sessions,
    local_day_bounds,
    local_to_utc,
    materialize_sessions,
    sessions_for_course,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_course(session: Session, zone: str, *slots: Slot, code: str = "C1") -> Course:
    return create_course(session, code=code, name="Course", timezone=zone, slots=list(slots))


def spans(rows: list[ClassSession]) -> list[tuple[datetime, datetime]]:
    return [(r.starts_at, r.ends_at) for r in sorted(rows, key=lambda r: r.starts_at)]


def test_berlin_nine_o_clock_is_eight_utc_in_winter_and_seven_in_summer(
    db_session: Session,
) -> None:
    course = make_course(db_session, "Europe/Berlin", Slot(0, time(9), time(10, 30)))
    # Mondays around the spring switch (Sun 31 March 2024) and the autumn one (Sun 27 Oct).
    created = materialize_sessions(db_session, course.id, date(2024, 3, 25), date(2024, 4, 1))
    created += materialize_sessions(db_session, course.id, date(2024, 10, 21), date(2024, 10, 28))
    assert spans(created) == [
        (utc(2024, 3, 25, 8), utc(2024, 3, 25, 9, 30)),
        (utc(2024, 4, 1, 7), utc(2024, 4, 1, 8, 30)),
        (utc(2024, 10, 21, 7), utc(2024, 10, 21, 8, 30)),
        (utc(2024, 10, 28, 8), utc(2024, 10, 28, 9, 30)),
    ]
    assert all(r.schedule_id == course.schedule[0].id for r in created)


def test_new_york_switches_on_its_own_dates(db_session: Session) -> None:
    course = make_course(db_session, "America/New_York", Slot(6, time(9), time(10)))
    created = materialize_sessions(db_session, course.id, date(2024, 3, 3), date(2024, 3, 10))
    created += materialize_sessions(db_session, course.id, date(2024, 10, 27), date(2024, 11, 3))
    assert [s for s, _ in spans(created)] == [
        utc(2024, 3, 3, 14),
        utc(2024, 3, 10, 13),
        utc(2024, 10, 27, 13),
        utc(2024, 11, 3, 14),
    ]


def test_slot_in_spring_forward_gap_moves_forward(db_session: Session) -> None:
    # Berlin, Sunday 31 March 2024: 02:00-03:00 local does not exist.
    course = make_course(
        db_session, "Europe/Berlin", Slot(6, time(2, 30), time(4)), Slot(6, time(1), time(2, 15))
    )
    created = materialize_sessions(db_session, course.id, date(2024, 3, 31), date(2024, 3, 31))
    assert spans(created) == [
        (utc(2024, 3, 31, 0), utc(2024, 3, 31, 1, 15)),  # end 02:15 → 03:15 CEST
        (utc(2024, 3, 31, 1, 30), utc(2024, 3, 31, 2)),  # start 02:30 → 03:30 CEST
    ]


def test_slot_entirely_inside_the_gap_keeps_its_duration(db_session: Session) -> None:
    course = make_course(db_session, "Europe/Berlin", Slot(6, time(2, 10), time(2, 50)))
    created = materialize_sessions(db_session, course.id, date(2024, 3, 31), date(2024, 3, 31))
    assert spans(created) == [(utc(2024, 3, 31, 1, 10), utc(2024, 3, 31, 1, 50))]


def test_slot_in_fall_back_overlap_uses_first_occurrence(db_session: Session) -> None:
    # Berlin, Sunday 27 October 2024: 02:00-03:00 local happens twice; fold=0 is summer time.
    course = make_course(db_session, "Europe/Berlin", Slot(6, time(2, 30), time(3, 30)))
    created = materialize_sessions(db_session, course.id, date(2024, 10, 27), date(2024, 10, 27))
    assert spans(created) == [(utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 2, 30))]
    assert local_to_utc(date(2024, 10, 27), time(2, 30, fold=1), ZoneInfo("Europe/Berlin")) == (
        utc(2024, 10, 27, 0, 30)
    )


def test_range_is_inclusive_and_in_local_dates(db_session: Session) -> None:
    # Auckland is UTC+13 in January: Monday 08:00 local is Sunday 19:00 UTC.
    course = make_course(db_session, "Pacific/Auckland", Slot(0, time(8), time(9)))
    monday = date(2024, 1, 8)
    assert spans(materialize_sessions(db_session, course.id, monday, monday)) == [
        (utc(2024, 1, 7, 19), utc(2024, 1, 7, 20))
    ]
    assert (
        materialize_sessions(db_session, course.id, monday + timedelta(1), date(2024, 1, 14)) == []
    )
    assert (
        len(materialize_sessions(db_session, course.id, date(2024, 1, 9), date(2024, 1, 15))) == 1
    )
    lower, upper = local_day_bounds(ZoneInfo("Pacific/Auckland"), monday, monday)
    listed = sessions_for_course(db_session, course.id, starts_from=lower, starts_before=upper)
    assert [r.starts_at for r in listed] == [utc(2024, 1, 7, 19)]


def test_materialising_twice_creates_nothing_new(db_session: Session) -> None:
    course = make_course(
        db_session, "Europe/Berlin", Slot(0, time(9), time(10)), Slot(3, time(9), time(10))
    )
    first = materialize_sessions(db_session, course.id, date(2024, 3, 1), date(2024, 4, 30))
    assert len(first) == 17
    assert materialize_sessions(db_session, course.id, date(2024, 3, 1), date(2024, 4, 30)) == []
    more = materialize_sessions(db_session, course.id, date(2024, 4, 15), date(2024, 5, 10))
    assert len(more) == 3  # Thu 2 May, Mon 6 May, Thu 9 May
    count = db_session.scalar(select(func.count()).select_from(ClassSession))
    assert count == 20 == len(sessions_for_course(db_session, course.id))


def test_existing_adhoc_session_at_same_start_is_kept(db_session: Session) -> None:
    course = make_course(db_session, "UTC", Slot(0, time(9), time(10)))
    adhoc = create_adhoc_session(
        db_session, course_id=course.id, starts_at=utc(2024, 3, 4, 9), ends_at=utc(2024, 3, 4, 11)
    )
    assert materialize_sessions(db_session, course.id, date(2024, 3, 4), date(2024, 3, 4)) == []
    assert sessions_for_course(db_session, course.id) == [adhoc]
    with pytest.raises(Conflict, match="already has a session"):
        create_adhoc_session(
            db_session,
            course_id=course.id,
            starts_at=utc(2024, 3, 4, 9),
            ends_at=utc(2024, 3, 4, 10),
        )


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2024, 3, 4, 9), datetime(2024, 3, 4, 10), "time zone"),
        (utc(2024, 3, 4, 10), utc(2024, 3, 4, 9), "end after"),
    ],
)
def test_adhoc_session_refuses_bad_times(
    db_session: Session, start: datetime, end: datetime, message: str
) -> None:
    course = make_course(db_session, "UTC")
    with pytest.raises(InvalidInput, match=message):
        create_adhoc_session(db_session, course_id=course.id, starts_at=start, ends_at=end)


def test_materialise_refuses_bad_ranges(db_session: Session) -> None:
    course = make_course(db_session, "UTC", Slot(0, time(9), time(10)))
    with pytest.raises(InvalidInput, match="empty"):
        materialize_sessions(db_session, course.id, date(2024, 3, 5), date(2024, 3, 4))
    with pytest.raises(InvalidInput, match="longer"):
        materialize_sessions(db_session, course.id, date(2024, 1, 1), date(2026, 1, 1))
    with pytest.raises(NotFound):
        materialize_sessions(db_session, 999, date(2024, 1, 1), date(2024, 1, 2))


def test_current_sessions_with_grace(db_session: Session) -> None:
    a = make_course(db_session, "UTC", code="A")
    b = make_course(db_session, "UTC", code="B")
    first = create_adhoc_session(
        db_session, course_id=a.id, starts_at=utc(2024, 3, 4, 9), ends_at=utc(2024, 3, 4, 10)
    )
    second = create_adhoc_session(
        db_session, course_id=b.id, starts_at=utc(2024, 3, 4, 10), ends_at=utc(2024, 3, 4, 11)
    )
    grace = timedelta(minutes=10)
    assert current_sessions(db_session, utc(2024, 3, 4, 8, 49), grace) == []
    assert current_sessions(db_session, utc(2024, 3, 4, 8, 50), grace) == [first]
    assert current_sessions(db_session, utc(2024, 3, 4, 9, 55), grace) == [first, second]
    assert current_sessions(db_session, utc(2024, 3, 4, 10), grace) == [second]
    assert current_sessions(db_session, utc(2024, 3, 4, 9, 55)) == [first]
    assert current_sessions(db_session, utc(2024, 3, 4, 11), grace) == []


def test_concurrent_materialisation_creates_each_session_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        course_id = make_course(session, "Europe/Berlin", Slot(0, time(9), time(10))).id
    barrier = threading.Barrier(3)
    created: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            with session_factory.begin() as session:
                rows = materialize_sessions(session, course_id, date(2024, 1, 1), date(2024, 3, 31))
                created.append(len(rows))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(ClassSession))
    assert total == 13
    assert sum(created) == 13
