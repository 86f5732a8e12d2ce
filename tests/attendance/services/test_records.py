"""Attendance rules: present, late, absent, the sightings threshold, overrides, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, ClassSession, Sighting, Status
from attendance.errors import InvalidInput, NotFound
from attendance.services.finalize import finalize_session
from attendance.services.records import count_sighting, override_attendance, records_for_session
from attendance.services.sightings import record_sighting

from .factories import add_course_with_session, add_student

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
BOX = (10, 60, 60, 10)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def see(session: Session, cs: ClassSession, student_id: int, minutes: float, k: int = 2) -> str:
    record = count_sighting(
        session,
        class_session_id=cs.id,
        student_id=student_id,
        seen_at=at(minutes),
        min_sightings=k,
    )
    return record.status


def test_threshold_then_present_or_late(db_session: Session) -> None:
    _course, cs, (ann, bob) = add_course_with_session(db_session, students=2, late_after_minutes=10)
    assert see(db_session, cs, ann.id, 2) == Status.ABSENT  # one sighting is not enough
    assert see(db_session, cs, ann.id, 3) == Status.PRESENT
    assert see(db_session, cs, bob.id, 10.5) == Status.ABSENT
    assert see(db_session, cs, bob.id, 11) == Status.LATE
    records = {r.student_id: r for r in records_for_session(db_session, cs.id)}
    assert records[ann.id].first_seen_at == at(2)
    assert records[ann.id].sightings_count == 2
    assert records[bob.id].first_seen_at == at(10.5)
    assert records[bob.id].source == "auto"


def test_exactly_at_the_late_limit_is_present(db_session: Session) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1, late_after_minutes=10)
    assert see(db_session, cs, ann.id, 10, k=1) == Status.PRESENT


@pytest.mark.parametrize("order", [[25, 5, 30], [5, 25, 30], [30, 25, 5]])
def test_first_seen_is_the_minimum_whatever_the_order(
    db_session: Session, order: list[int]
) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    statuses = [see(db_session, cs, ann.id, m, k=3) for m in order]
    assert statuses[-1] == Status.PRESENT
    (record,) = records_for_session(db_session, cs.id)
    assert (record.first_seen_at, record.sightings_count) == (at(5), 3)


def test_late_becomes_present_when_an_earlier_sighting_arrives(db_session: Session) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    assert see(db_session, cs, ann.id, 20, k=1) == Status.LATE
    assert see(db_session, cs, ann.id, 1, k=1) == Status.PRESENT


def test_student_not_on_roster_and_bad_arguments_are_refused(db_session: Session) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    stranger = add_student(db_session, "x")
    with pytest.raises(InvalidInput, match="roster"):
        see(db_session, cs, stranger.id, 1)
    with pytest.raises(InvalidInput, match="at least 1"):
        see(db_session, cs, ann.id, 1, k=0)
    with pytest.raises(InvalidInput, match="time zone"):
        count_sighting(
            db_session,
            class_session_id=cs.id,
            student_id=ann.id,
            seen_at=datetime(2024, 3, 4, 8),
            min_sightings=1,
        )
    with pytest.raises(NotFound):
        see(db_session, ClassSession(id=999), ann.id, 1)
    assert records_for_session(db_session, cs.id) == []


def test_record_sighting_stores_evidence_and_dedupes(db_session: Session) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    evidence = {"dlib": {"distance": 0.31, "threshold": 0.5}}
    kwargs = {
        "class_session_id": cs.id,
        "student_id": ann.id,
        "seen_at": at(1),
        "box": BOX,
        "evidence": evidence,
        "min_sightings": 2,
        "dedupe_key": "cam1:frame42:0",
    }
    first = record_sighting(db_session, **kwargs)  # type: ignore[arg-type]
    again = record_sighting(db_session, **kwargs)  # type: ignore[arg-type]
    assert not first.duplicate
    assert again.duplicate
    assert again.sighting.id == first.sighting.id
    assert again.record is not None
    assert again.record.sightings_count == 1
    assert db_session.scalar(select(func.count()).select_from(Sighting)) == 1
    stored = db_session.get(Sighting, first.sighting.id)
    assert stored is not None
    assert stored.evidence == evidence
    assert (stored.box_top, stored.box_right, stored.box_bottom, stored.box_left) == BOX
    kwargs["dedupe_key"] = "cam1:frame43:0"
    third = record_sighting(db_session, **kwargs)  # type: ignore[arg-type]
    assert third.record is not None
    assert third.record.status == Status.PRESENT


def test_record_sighting_refuses_unknown_session_and_strangers(db_session: Session) -> None:
    _course, cs, _ = add_course_with_session(db_session, students=1)
    stranger = add_student(db_session, "x")
    common = {"seen_at": at(1), "box": BOX, "evidence": {}, "min_sightings": 1}
    with pytest.raises(NotFound, match="class session"):
        record_sighting(db_session, class_session_id=999, student_id=None, **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="roster"):
        record_sighting(db_session, class_session_id=cs.id, student_id=stranger.id, **common)  # type: ignore[arg-type]
    assert db_session.scalar(select(func.count()).select_from(Sighting)) == 0


def test_unknown_faces_are_stored_without_a_record(db_session: Session) -> None:
    _course, cs, _ = add_course_with_session(db_session, students=1)
    for _ in range(2):
        outcome = record_sighting(
            db_session,
            class_session_id=cs.id,
            student_id=None,
            seen_at=at(1),
            box=BOX,
            evidence={},
            min_sightings=1,
        )
        assert outcome.record is None
        assert not outcome.duplicate
    assert db_session.scalar(select(func.count()).select_from(Sighting)) == 2
    assert records_for_session(db_session, cs.id) == []


def test_override_wins_is_audited_and_never_overwritten(db_session: Session) -> None:
    _course, cs, (ann, bob) = add_course_with_session(db_session, students=2)
    see(db_session, cs, ann.id, 20, k=1)
    record = override_attendance(
        db_session,
        class_session_id=cs.id,
        student_id=ann.id,
        status="excused",
        reason="doctor's note",
        actor="teacher1",
    )
    assert (record.status, record.source, record.reason) == ("excused", "manual", "doctor's note")
    assert see(db_session, cs, ann.id, 1, k=1) == Status.EXCUSED
    (row,) = records_for_session(db_session, cs.id)
    assert row.sightings_count == 1
    assert row.first_seen_at == at(20)
    override_attendance(
        db_session,
        class_session_id=cs.id,
        student_id=bob.id,
        status=Status.PRESENT,
        reason="seen in class",
        actor="teacher1",
    )
    entries = db_session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    assert [
        (e.action, e.actor, e.details["old_status"], e.details["new_status"]) for e in entries
    ] == [
        ("attendance.override", "teacher1", "late", "excused"),
        ("attendance.override", "teacher1", None, "present"),
    ]
    assert entries[0].details["reason"] == "doctor's note"
    assert entries[0].target_id == record.id


@pytest.mark.parametrize(
    ("status", "reason", "message"), [("gone", "r", "not one of"), ("present", "  ", "reason")]
)
def test_override_refuses_bad_status_or_missing_reason(
    db_session: Session, status: str, reason: str, message: str
) -> None:
    _course, cs, (ann,) = add_course_with_session(db_session, students=1)
    with pytest.raises(InvalidInput, match=message):
        override_attendance(
            db_session,
            class_session_id=cs.id,
            student_id=ann.id,
            status=status,
            reason=reason,
            actor="t",
        )
    assert records_for_session(db_session, cs.id) == []
    assert db_session.scalars(select(AuditLog)).all() == []


def test_finalize_marks_the_rest_absent_once(db_session: Session) -> None:
    _course, cs, (ann, bob, cem) = add_course_with_session(db_session, students=3, minutes=60)
    see(db_session, cs, ann.id, 1, k=1)
    override_attendance(
        db_session,
        class_session_id=cs.id,
        student_id=bob.id,
        status="excused",
        reason="ill",
        actor="t",
    )
    with pytest.raises(InvalidInput, match="after it has ended"):
        finalize_session(db_session, cs.id, at(30))
    assert finalize_session(db_session, cs.id, at(61)) == 1
    assert finalize_session(db_session, cs.id, at(90)) == 0
    statuses = {r.student_id: (r.status, r.source) for r in records_for_session(db_session, cs.id)}
    assert statuses == {
        ann.id: ("present", "auto"),
        bob.id: ("excused", "manual"),
        cem.id: ("absent", "auto"),
    }
    db_session.expire_all()
    assert db_session.get(ClassSession, cs.id).finalized_at == at(61)  # type: ignore[union-attr]


@pytest.mark.parametrize("threads", [4])
def test_concurrent_recording_never_duplicates_or_loses_counts(
    session_factory: sessionmaker[Session], threads: int
) -> None:
    per_thread = 10
    with session_factory.begin() as session:
        _course, cs, (ann,) = add_course_with_session(session, students=1)
        cs_id, ann_id = cs.id, ann.id
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def hammer(worker: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                with session_factory.begin() as session:
                    record_sighting(
                        session,
                        class_session_id=cs_id,
                        student_id=ann_id,
                        seen_at=at(30 - worker - i / 10),
                        box=BOX,
                        evidence={"w": worker},
                        dedupe_key=f"{worker}:{i}",
                        min_sightings=3,
                    )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    pool = [threading.Thread(target=hammer, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert errors == []
    with session_factory() as session:
        (record,) = session.scalars(select(AttendanceRecord)).all()
        sightings = session.scalar(select(func.count()).select_from(Sighting))
    assert record.sightings_count == threads * per_thread == sightings
    assert record.first_seen_at == at(30 - (threads - 1) - 0.9)
    assert record.status == Status.LATE
