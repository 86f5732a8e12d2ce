"""A teacher's "not X" stops the worker from counting unsure sightings of X in that session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, ReviewDecision, Sighting, Verdict
from attendance.worker.spool import PendingSighting, SightingSpool, new_dedupe_key
from tests.attendance.services.factories import add_course_with_session

_START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
#: dlib accepts X, the in-house model does not: "models disagree", an unsure sighting.
DISAGREEING = {
    "dlib": {"distance": 0.45, "threshold": 0.5, "version": "v", "candidate": 0, "accepted": True},
    "inhouse": {
        "distance": 0.9,
        "threshold": 0.8,
        "version": "w",
        "candidate": 0,
        "accepted": False,
    },
}
#: Both models accept X: a sure sighting, counted whatever the teacher said before.
AGREEING = {
    "dlib": {"distance": 0.3, "threshold": 0.5, "version": "v", "candidate": 0, "accepted": True},
    "inhouse": {
        "distance": 0.4,
        "threshold": 0.8,
        "version": "w",
        "candidate": 0,
        "accepted": True,
    },
}


def _pending(
    session_id: int, student_id: int, evidence: dict[str, dict[str, object]], minutes: int
) -> PendingSighting:
    filled = {m: {**e, "candidate": student_id} for m, e in evidence.items()}
    return PendingSighting(
        class_session_id=session_id,
        student_id=student_id,
        seen_at=_START + timedelta(minutes=minutes),
        box=(10, 60, 60, 10),
        evidence=filled,
        camera_id=None,
        dedupe_key=new_dedupe_key(),
    )


def test_rejected_student_is_not_counted_from_unsure_sightings(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        _course, class_session, (student,) = add_course_with_session(
            session, starts_at=_START, students=1
        )
        session_id, student_id = class_session.id, student.id
    spool = SightingSpool()
    spool.add(_pending(session_id, student_id, DISAGREEING, 1))
    spool.flush(session_factory, min_sightings=5)
    with session_factory.begin() as session:
        first = session.scalars(select(Sighting)).one()
        session.add(
            ReviewDecision(
                sighting_id=first.id,
                student_id=student_id,
                decision=Verdict.REJECTED.value,
                actor="alice",
            )
        )
    spool.add(_pending(session_id, student_id, DISAGREEING, 2))
    spool.add(_pending(session_id, student_id, AGREEING, 3))
    spool.flush(session_factory, min_sightings=5)
    with session_factory() as session:
        stored = session.scalars(select(Sighting).order_by(Sighting.seen_at)).all()
        record = session.scalars(select(AttendanceRecord)).one()
    assert [s.student_id for s in stored] == [student_id, None, student_id]
    assert record.sightings_count == 2  # the first and the sure one; not the suppressed one
