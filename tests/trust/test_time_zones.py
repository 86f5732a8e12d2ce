"""Proof: two school zones x both daylight-saving switches, a session across midnight and the
switch night, and a server whose own zone is neither: no sighting lands in the wrong session.

The expected UTC windows below were worked out by hand from the zones' rules (not by the code
under test). A simulated worker ticks every 5 minutes across each switch weekend for whatever
session the database says is running; every sighting must fall inside the hand-computed window
of its session, and every tick inside a window must have produced a sighting for it.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import ClassSession, Sighting, Student
from attendance.services.cameras import create_camera
from attendance.services.courses import Slot, create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import (
    create_adhoc_session,
    current_sessions,
    materialize_sessions,
)
from attendance.worker import FakeClock
from tests.conftest import make_settings

from .worker_sim import Room, SimCamera, SimRecognizer, make_worker

SLOTS = [Slot(5, wall(9), wall(10)), Slot(6, wall(1, 30), wall(3, 30)),
         Slot(6, wall(9), wall(10)), Slot(0, wall(9), wall(10))]


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


#: zone, Saturday of the switch weekend, and the hand-computed UTC windows:
#: Sat 09-10, Sun 01:30-03:30 (across the switch), Sun 09-10, Mon 09-10, and the ad-hoc
#: session Sat 23:30 -> Sun 00:30 local (across midnight).
WEEKENDS = [
    ("Europe/Berlin", date(2026, 3, 28), [
        ("2026-03-28T08:00", "2026-03-28T09:00"), ("2026-03-29T00:30", "2026-03-29T01:30"),
        ("2026-03-29T07:00", "2026-03-29T08:00"), ("2026-03-30T07:00", "2026-03-30T08:00"),
        ("2026-03-28T22:30", "2026-03-28T23:30")]),
    ("Europe/Berlin", date(2026, 10, 24), [
        ("2026-10-24T07:00", "2026-10-24T08:00"), ("2026-10-24T23:30", "2026-10-25T02:30"),
        ("2026-10-25T08:00", "2026-10-25T09:00"), ("2026-10-26T08:00", "2026-10-26T09:00"),
        ("2026-10-24T21:30", "2026-10-24T22:30")]),
    ("America/New_York", date(2026, 3, 7), [
        ("2026-03-07T14:00", "2026-03-07T15:00"), ("2026-03-08T06:30", "2026-03-08T07:30"),
        ("2026-03-08T13:00", "2026-03-08T14:00"), ("2026-03-09T13:00", "2026-03-09T14:00"),
        ("2026-03-08T04:30", "2026-03-08T05:30")]),
    ("America/New_York", date(2026, 10, 31), [
        ("2026-10-31T13:00", "2026-10-31T14:00"), ("2026-11-01T05:30", "2026-11-01T08:30"),
        ("2026-11-01T14:00", "2026-11-01T15:00"), ("2026-11-02T14:00", "2026-11-02T15:00"),
        ("2026-11-01T03:30", "2026-11-01T04:30")]),
]


@pytest.fixture(params=["Asia/Kolkata", "Pacific/Chatham"])
def server_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The zone of the machine running the worker (TZ), different from every school zone."""
    zone: str = request.param
    monkeypatch.setenv("TZ", zone)
    time_module.tzset()
    yield zone
    monkeypatch.undo()
    time_module.tzset()


def _instants(first: datetime, last: datetime, step_s: float) -> Iterator[datetime]:
    now = first
    while now <= last:
        yield now
        now += timedelta(seconds=step_s)


@pytest.mark.parametrize(("zone", "saturday", "windows"), WEEKENDS,
                         ids=[f"{z}-{d:%b}" for z, d, _ in WEEKENDS])
def test_sightings_land_in_the_right_session_across_dst_and_midnight(
    tmp_path: Path, session_factory: sessionmaker[Session], server_zone: str,
    zone: str, saturday: date, windows: list[tuple[str, str]],
) -> None:
    assert server_zone != zone
    tz = ZoneInfo(zone)
    with session_factory.begin() as session:
        camera = create_camera(session, name="room", source="0")
        course = create_course(session, code="TZ1", name="Zones", timezone=zone, slots=SLOTS,
                               camera_name="room")
        student = Student(student_number="S1", display_name="Pupil")
        session.add(student)
        session.flush()
        add_to_roster(session, course.id, student_ids=[student.id])
        created = materialize_sessions(session, course.id, saturday,
                                       saturday + timedelta(days=2))
        sunday = saturday + timedelta(days=1)
        create_adhoc_session(
            session, course_id=course.id,
            starts_at=datetime.combine(saturday, wall(23, 30), tzinfo=tz),
            ends_at=datetime.combine(sunday, wall(0, 30), tzinfo=tz))
        room = Room(camera.id, "room", course.id, 0, [student.id])
    assert len(created) == 4
    expected = sorted((_z(a), _z(b)) for a, b in windows)
    with session_factory() as session:
        stored = sorted((s.starts_at, s.ends_at) for s in session.scalars(
            select(ClassSession).where(ClassSession.course_id == course.id)))
    wrong_sessions = [w for w in stored if w not in expected]

    settings = make_settings(tmp_path, capture_interval_seconds=300.0, capture_grace_minutes=0)
    first = datetime.combine(saturday, wall(0), tzinfo=UTC) - timedelta(hours=12)
    clock = FakeClock(first)
    recognizer = SimRecognizer(clock, lambda _now: [student.id])
    worker = make_worker(settings, session_factory, room, clock, recognizer, SimCamera(clock))
    ticks = 0
    for now in _instants(first, first + timedelta(days=4), 300.0):
        clock.advance((now - clock.now()).total_seconds())
        with session_factory() as session:
            running = [s.id for s in current_sessions(session, now)
                       if s.course_id == course.id]
        for session_id in running:
            worker.tick(session_id)
            ticks += 1
    worker.close()

    with session_factory() as session:
        windows_by_id = {s.id: (s.starts_at, s.ends_at) for s in session.scalars(
            select(ClassSession).where(ClassSession.course_id == course.id))}
        sightings = [(s.class_session_id, s.seen_at) for s in session.scalars(select(Sighting))]
    misattributed = sum(
        1 for session_id, seen in sightings
        if windows_by_id[session_id] not in expected
        or not windows_by_id[session_id][0] <= seen < windows_by_id[session_id][1])
    due = {(start, now) for start, end in expected
           for now in _instants(first, first + timedelta(days=4), 300.0) if start <= now < end}
    got = {(windows_by_id[sid][0], seen) for sid, seen in sightings}
    missing = len(due - got)
    print(f"\n[trust] time zones ({zone} {saturday:%b %Y}, server TZ={server_zone}): "
          f"sessions {len(stored)} (wrong {len(wrong_sessions)}), ticks {ticks}, sightings "
          f"{len(sightings)}; misattributed {misattributed}, missing {missing}")
    assert wrong_sessions == []
    assert len(stored) == 5
    assert (misattributed, missing) == (0, 0)
    assert len(sightings) == len(due)
