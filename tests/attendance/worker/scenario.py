"""The expected outcome of the :data:`~.videos.TIMELINE` scenario, checked in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import Camera, ClassSession, Sighting
from attendance.services.records import records_for_session

from .conftest import START, Classroom

#: Ticks (index in TIMELINE) at which each rostered student is in the picture.
POWELL_TICKS = (1, 2, 11, 15)
RUMSFELD_TICKS = (9, 10, 11, 21)


def tick_time(index: int) -> datetime:
    return START - timedelta(minutes=1) + timedelta(seconds=30 * index)


def assert_scenario(
    factory: sessionmaker[Session],
    room: Classroom,
    *,
    faces: int,
    unknown: int,
    incomplete: bool = False,
) -> None:
    """Present / late / absent exactly as the timeline says; ``faces`` sightings stored of
    which ``unknown`` unknown; nothing for people off the roster; the session finalised.
    ``incomplete``: the camera covered less than 90 % of the session, so nobody is absent."""
    names = {sid: name for name, sid in room.students.items()}
    with factory() as session:
        records = records_for_session(session, room.class_session_id)
        status = {names[r.student_id]: r.status for r in records}
        expected = {"Colin_Powell": "present", "Donald_Rumsfeld": "late"}
        if not incomplete:
            expected.update({"Gerhard_Schroeder": "absent", "Ariel_Sharon": "absent"})
        assert status == expected
        row = session.get(ClassSession, room.class_session_id)
        assert row is not None
        assert row.incomplete is incomplete
        by_name = {names[r.student_id]: r for r in records}
        assert by_name["Colin_Powell"].first_seen_at == tick_time(POWELL_TICKS[0])
        assert by_name["Colin_Powell"].sightings_count == len(POWELL_TICKS)
        assert by_name["Donald_Rumsfeld"].first_seen_at == tick_time(RUMSFELD_TICKS[0])
        assert by_name["Donald_Rumsfeld"].sightings_count == len(RUMSFELD_TICKS)
        if not incomplete:
            assert by_name["Gerhard_Schroeder"].sightings_count == 1
            assert by_name["Ariel_Sharon"].sightings_count == 0
        sightings = list(session.scalars(
            select(Sighting).where(Sighting.class_session_id == room.class_session_id)
        ))
        assert len(sightings) == faces
        assert sum(1 for s in sightings if s.student_id is None) == unknown
        assert room.students["Hugo_Chavez"] not in {s.student_id for s in sightings}
        assert len({s.dedupe_key for s in sightings}) == faces
        for sighting in sightings:
            assert sighting.camera_id == room.camera_id
            evidence = sighting.evidence["dlib"]
            assert set(evidence) >= {"distance", "threshold", "version", "candidate"}
            assert sighting.box_bottom - sighting.box_top > 40
        assert session.scalar(
            select(func.count()).select_from(ClassSession).where(
                ClassSession.id == room.class_session_id, ClassSession.finalized_at.is_not(None)
            )
        ) == 1


def camera_row(factory: sessionmaker[Session], camera_id: int) -> Camera:
    with factory() as session:
        camera = session.get(Camera, camera_id)
        assert camera is not None
        return camera
