"""The review queue as groups: one per (class session, candidate), closest likeness first,
paged; and the verdicts that settle a group."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.db import AttendanceRecord, ClassSession, ReviewDecision, Sighting, User
from attendance.errors import Conflict, InvalidInput, NotFound
from attendance.services.consent import withdraw_consent
from attendance.services.review import (
    confirm_group,
    reject_group,
    reject_sighting,
    suppressed_students,
)
from attendance.services.review_queue import (
    all_groups,
    pending_count,
    pending_group,
    review_groups,
)
from attendance.services.sightings import record_sighting

from .factories import add_course_with_session

START = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def _figures(distance: float, candidate: int, accepted: bool = False) -> dict[str, Any]:
    return {"dlib": {"distance": distance, "threshold": 0.5, "version": "v",
                     "candidate": candidate, "accepted": accepted}}


def _seen(session: Session, class_session_id: int, candidate: int, distance: float,
          minute: int, *, student: int | None = None) -> int:
    outcome = record_sighting(
        session, class_session_id=class_session_id, student_id=student,
        seen_at=START + timedelta(minutes=minute), box=(0, 10, 10, 0),
        evidence=_figures(distance, candidate, student is not None), min_sightings=2)
    return outcome.sighting.id


def test_one_group_per_session_and_candidate_closest_first(db_session: Session) -> None:
    course, first, (ada, bob) = add_course_with_session(db_session, students=2)
    later = ClassSession(course_id=course.id, starts_at=START + timedelta(days=7),
                         ends_at=START + timedelta(days=7, hours=1))
    db_session.add(later)
    db_session.flush()
    far = _seen(db_session, first.id, ada.id, 0.59, 1)
    near = _seen(db_session, first.id, ada.id, 0.52, 2)
    middle = _seen(db_session, first.id, ada.id, 0.55, 3)
    _seen(db_session, first.id, ada.id, 0.80, 4)  # clearly someone else: not asked
    _seen(db_session, first.id, bob.id, 0.56, 5)
    _seen(db_session, later.id, ada.id, 0.57, 6)

    groups = all_groups(db_session, course.id)

    assert [(g.class_session_id, g.student_id, len(g.sightings)) for g in groups] == [
        (later.id, ada.id, 1), (first.id, ada.id, 3), (first.id, bob.id, 1)]
    ada_first = groups[1]
    assert [s.sighting_id for s in ada_first.sightings] == [near, middle, far]
    assert ada_first.best.closeness == pytest.approx(0.02)
    assert ada_first.last_sighting_id == middle
    assert (ada_first.first_seen, ada_first.last_seen) == (START + timedelta(minutes=1),
                                                           START + timedelta(minutes=3))
    assert ada_first.reason == "dlib distance 0.520 just above its threshold 0.50"
    assert pending_count(db_session, first.id) == 2
    assert pending_group(db_session, first.id, ada.id, upto=near) == [far, near]


def test_pages(db_session: Session) -> None:
    course, class_session, students = add_course_with_session(db_session, students=5)
    for minute, student in enumerate(students):
        _seen(db_session, class_session.id, student.id, 0.55, minute)
    page = review_groups(db_session, course.id, page=2, per_page=2)
    assert (page.page, page.pages, page.total_groups, page.total_sightings) == (2, 3, 5, 5)
    assert [g.student_id for g in page.groups] == [students[2].id, students[3].id]
    assert review_groups(db_session, course.id, page=99, per_page=2).page == 3
    assert review_groups(db_session, 999, page=1).pages == 1  # an empty queue has one page
    with pytest.raises(InvalidInput, match="numbered from 1"):
        review_groups(db_session, course.id, page=0)


def test_candidates_without_consent_are_never_asked_about(db_session: Session) -> None:
    course, class_session, (ada,) = add_course_with_session(db_session, students=1)
    _seen(db_session, class_session.id, ada.id, 0.55, 1)
    withdraw_consent(db_session, ada.id, actor="ada")
    assert all_groups(db_session, course.id) == []
    with pytest.raises(InvalidInput, match="consent"):
        confirm_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                      upto=None, actor="t", min_sightings=2)


def test_confirm_group_counts_each_sighting_once(db_session: Session) -> None:
    _course, class_session, (ada,) = add_course_with_session(db_session, students=1)
    counted = _seen(db_session, class_session.id, ada.id, 0.45, 1, student=ada.id)
    db_session.get(Sighting, counted).evidence = {  # type: ignore[union-attr]
        **_figures(0.45, ada.id, True),
        "inhouse": {"distance": 0.9, "threshold": 0.8, "version": "w", "candidate": ada.id,
                    "accepted": False}}  # models disagree: unsure, yet counted
    db_session.flush()
    unknown = [_seen(db_session, class_session.id, ada.id, d, m)
               for m, d in ((2, 0.52), (3, 0.55))]
    verdict = confirm_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                            upto=max(unknown), actor="alice", min_sightings=2)
    assert (verdict.settled, verdict.counted_now, verdict.already_counted) == (3, 2, 1)
    record = db_session.scalars(select(AttendanceRecord)).one()
    assert (record.status, record.sightings_count) == ("present", 3)
    assert all_groups(db_session, class_session.course_id) == []
    with pytest.raises(Conflict, match="already reviewed"):
        confirm_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                      upto=None, actor="alice", min_sightings=2)


def test_not_x_settles_the_group_up_to_what_was_shown(db_session: Session) -> None:
    _course, class_session, (ada, bob) = add_course_with_session(db_session, students=2)
    shown = [_seen(db_session, class_session.id, ada.id, 0.55, m) for m in (1, 2, 3)]
    other = _seen(db_session, class_session.id, bob.id, 0.55, 4)
    later = _seen(db_session, class_session.id, ada.id, 0.56, 5)
    verdict = reject_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                           upto=shown[-1], actor="alice")
    assert verdict.settled == 3
    rejected = db_session.scalars(select(ReviewDecision.sighting_id)).all()
    assert sorted(rejected) == shown
    assert suppressed_students(db_session, class_session.id) == {ada.id}
    groups = all_groups(db_session, class_session.course_id)
    assert {(g.student_id, g.sightings[0].sighting_id) for g in groups} == {
        (ada.id, later), (bob.id, other)}
    assert next(g for g in groups if g.student_id == ada.id).earlier_rejections == 3


def test_reject_one_sighting_settles_the_others(db_session: Session) -> None:
    _course, class_session, (ada,) = add_course_with_session(db_session, students=1)
    ids = [_seen(db_session, class_session.id, ada.id, 0.55, m) for m in (1, 2, 3)]
    decision = reject_sighting(db_session, sighting_id=ids[1], student_id=ada.id, actor="t")
    assert decision.sighting_id == ids[1]
    assert sorted(db_session.scalars(select(ReviewDecision.sighting_id))) == ids
    assert all_groups(db_session, class_session.course_id) == []


def test_group_verdicts_check_the_access_policy(db_session: Session) -> None:
    course, class_session, (ada,) = add_course_with_session(db_session, students=1)
    _seen(db_session, class_session.id, ada.id, 0.55, 1)
    alice = User(username="alice", role="teacher", password_hash="x")
    bob = User(username="bob", role="teacher", password_hash="x")
    db_session.add_all([alice, bob])
    db_session.flush()
    course.teacher_id = alice.id
    db_session.flush()
    with pytest.raises(NotFound):
        reject_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                     upto=None, actor="bob", by=Actor(bob.id))
    with pytest.raises(InvalidInput, match="roster"):
        reject_group(db_session, class_session_id=class_session.id, student_id=999_999,
                     upto=None, actor="alice", by=Actor(alice.id))
    verdict = reject_group(db_session, class_session_id=class_session.id, student_id=ada.id,
                           upto=None, actor="alice", by=Actor(alice.id))
    assert verdict.settled == 1
