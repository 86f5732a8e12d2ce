"""Human oversight: the coverage formula, incomplete sessions, and confirmed sessions the
camera can no longer change."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, ClassSession, Sighting, Status
from attendance.errors import Conflict, InvalidInput
from attendance.services.finalize import finalize_session
from attendance.services.oversight import (
    add_frame_coverage,
    confirm_session,
    frame_coverage,
    frames_expected,
)
from attendance.services.records import count_sighting, override_attendance, records_for_session
from attendance.services.sightings import record_sighting

from .factories import add_course_with_session

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
END = START + timedelta(minutes=90)
BOX = (10, 60, 60, 10)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("minutes", "interval", "expected"),
    [(90, 5.0, 1080), (10, 30.0, 20), (10, 7.0, 86), (0.05, 30.0, 1), (10, 600.0, 1)],
)
def test_frames_expected_is_ceil_of_length_over_interval(
    minutes: float, interval: float, expected: int
) -> None:
    assert frames_expected(START, START + timedelta(minutes=minutes), interval) == expected


def test_frame_coverage_is_a_capped_share() -> None:
    assert frame_coverage(18, 20) == pytest.approx(0.9)
    assert frame_coverage(17, 20) == pytest.approx(0.85)
    assert frame_coverage(25, 20) == 1.0
    assert frame_coverage(0, 20) == 0.0
    with pytest.raises(InvalidInput):
        frame_coverage(1, 0)
    with pytest.raises(InvalidInput):
        frames_expected(START, END, 0)


def test_only_frames_inside_the_session_count(db_session: Session) -> None:
    _course, cs, _ = add_course_with_session(db_session)
    times = [at(-1), at(0), at(45), at(89.99), at(90), at(91)]
    assert add_frame_coverage(db_session, cs.id, times) == 3
    assert add_frame_coverage(db_session, cs.id, [at(1)]) == 1
    db_session.refresh(cs)
    assert cs.frames_received == 4


def test_low_coverage_flags_incomplete_and_marks_nobody_absent(db_session: Session) -> None:
    _course, cs, (ann, bob, cat) = add_course_with_session(db_session, students=3)
    count_sighting(db_session, class_session_id=cs.id, student_id=ann.id, seen_at=at(1),
                   min_sightings=1)
    record_sighting(db_session, class_session_id=cs.id, student_id=bob.id, seen_at=at(2),
                    box=BOX, evidence={}, min_sightings=2)  # once: an unconfirmed "absent"
    override_attendance(db_session, class_session_id=cs.id, student_id=cat.id,
                        status="absent", reason="told me", actor="teacher")
    add_frame_coverage(db_session, cs.id, [at(m * 0.5) for m in range(160)])  # 160/180

    assert finalize_session(db_session, cs.id, END, capture_interval_seconds=30.0) == 0

    assert (cs.frames_expected, cs.incomplete) == (180, True)
    statuses = {r.student_id: r.status for r in records_for_session(db_session, cs.id)}
    # bob: no record rather than an automatic "absent"; cat's manual mark stays.
    assert statuses == {ann.id: Status.PRESENT, cat.id: Status.ABSENT}
    assert db_session.scalar(select(func.count()).select_from(Sighting)) == 1  # evidence kept


def test_enough_coverage_marks_the_unseen_absent(db_session: Session) -> None:
    _course, cs, (ann, bob) = add_course_with_session(db_session, students=2)
    add_frame_coverage(db_session, cs.id, [at(m * 0.5) for m in range(162)])  # exactly 90 %
    assert finalize_session(db_session, cs.id, END, capture_interval_seconds=30.0) == 2
    assert not cs.incomplete


def test_confirmation_is_audited_and_only_once(db_session: Session) -> None:
    _course, cs, _ = add_course_with_session(db_session, students=1)
    with pytest.raises(InvalidInput, match="after it has ended"):
        confirm_session(db_session, cs.id, actor="teacher", now=at(60))
    row = confirm_session(db_session, cs.id, actor="teacher", now=END + timedelta(minutes=5))
    assert (row.confirmed_at, row.confirmed_by) == (END + timedelta(minutes=5), "teacher")
    with pytest.raises(Conflict, match="already confirmed by teacher"):
        confirm_session(db_session, cs.id, actor="other", now=END + timedelta(minutes=6))
    entries = db_session.scalars(select(AuditLog).where(AuditLog.action == "session.confirm"))
    assert [(e.actor, e.target_id) for e in entries] == [("teacher", cs.id)]


def test_after_confirmation_the_camera_changes_no_mark(db_session: Session) -> None:
    _course, cs, (ann, bob, cat, dan) = add_course_with_session(db_session, students=4)
    count_sighting(db_session, class_session_id=cs.id, student_id=ann.id, seen_at=at(20),
                   min_sightings=2)  # one sighting: still absent (provisional)
    override_attendance(db_session, class_session_id=cs.id, student_id=bob.id,
                        status="excused", reason="doctor", actor="teacher")
    confirm_session(db_session, cs.id, actor="teacher", now=END)
    before = {r.student_id: (r.status, r.sightings_count, r.first_seen_at)
              for r in records_for_session(db_session, cs.id)}

    for student, minute in ((ann, 1), (ann, 2), (bob, 3), (cat, 4)):
        outcome = record_sighting(db_session, class_session_id=cs.id, student_id=student.id,
                                  seen_at=at(minute), box=BOX, evidence={}, min_sightings=1)
        assert not outcome.duplicate  # stored as evidence ...
    assert finalize_session(db_session, cs.id, END + timedelta(hours=1),
                            capture_interval_seconds=30.0) == 0

    after = {r.student_id: (r.status, r.sightings_count, r.first_seen_at)
             for r in records_for_session(db_session, cs.id)}
    assert after == before  # ... but no record created or changed, nobody marked absent
    assert cat.id not in after
    assert dan.id not in after
    assert db_session.scalar(select(func.count()).select_from(Sighting)) == 4
    # A teacher can still correct by hand.
    fixed = override_attendance(db_session, class_session_id=cs.id, student_id=ann.id,
                                status="present", reason="seen in class", actor="teacher")
    assert fixed.status == Status.PRESENT


def test_course_without_face_recognition_gets_no_automatic_absences(
    db_session: Session,
) -> None:
    course, cs, _ = add_course_with_session(db_session, students=2)
    course.face_recognition_enabled = False
    assert finalize_session(db_session, cs.id, END) == 0
    assert records_for_session(db_session, cs.id) == []
    assert cs.finalized_at == END


def test_confirmation_racing_the_camera_loses_no_guarantee(
    session_factory: sessionmaker[Session],
) -> None:
    """Two connections: the camera counts sightings while a teacher confirms. Whatever the
    interleaving, no record changes after the confirmation is committed."""
    with session_factory.begin() as session:
        _course, cs, students = add_course_with_session(session, students=3)
        session_id, ids = cs.id, [s.id for s in students]
    confirmed = threading.Event()
    snapshot: dict[int, tuple[str, int]] = {}

    def camera() -> None:
        for i in range(60):
            with session_factory.begin() as session:
                count_sighting(session, class_session_id=session_id,
                               student_id=ids[i % 3], seen_at=at(i / 10), min_sightings=2)

    def teacher() -> None:
        with session_factory.begin() as session:
            confirm_session(session, session_id, actor="teacher", now=END)
            rows = records_for_session(session, session_id)
            snapshot.update({r.student_id: (r.status, r.sightings_count) for r in rows})
        confirmed.set()

    threads = [threading.Thread(target=camera), threading.Thread(target=teacher)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert confirmed.is_set()
    with session_factory() as session:
        rows = records_for_session(session, session_id)
        assert {r.student_id: (r.status, r.sightings_count) for r in rows} == snapshot
        row = session.get(ClassSession, session_id)
        assert row is not None
        assert row.confirmed_at == END
        counted = session.scalar(select(func.sum(AttendanceRecord.sightings_count)))
        assert (counted or 0) <= 60
