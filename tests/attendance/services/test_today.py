"""A teacher's day: today's sessions per course time zone, live counts, who cannot be
recognised and why, and rates that say what they leave out."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.db import ClassSession, CourseSchedule, FaceEmbedding, FacePhoto, User
from attendance.services.consent import withdraw_consent
from attendance.services.rates import RateFigures, rate_figures
from attendance.services.recognisability import (
    INACTIVE,
    NO_CONSENT,
    RECOGNITION_OFF,
    RecognitionSetup,
    recognition_obstacles,
)
from attendance.services.records import count_sighting, override_attendance
from attendance.services.reports import session_report
from attendance.services.session_counts import live_status, session_counts
from attendance.services.today import Phase, today_view

from .factories import add_course_with_session, add_student

DLIB = RecognitionSetup({"dlib": "v1"}, "both")
BOTH = RecognitionSetup({"dlib": "v1", "inhouse": "w1"}, "both")
EITHER = RecognitionSetup({"dlib": "v1", "inhouse": "w1"}, "either")
NOW = datetime(2024, 3, 4, 8, 30, tzinfo=UTC)


def _photo(session: Session, student_id: int, model: str = "dlib", version: str = "v1") -> None:
    """An accepted photo of the student with its embedding by ``model`` ``version``."""
    photo = FacePhoto(student_id=student_id, content_hash=f"{student_id:064d}"[-64:], width=9,
                      height=9, face_pixels=9, sharpness=9.0, brightness=99.0)
    session.add(photo)
    session.flush()
    session.add(FaceEmbedding(student_id=student_id, photo_id=photo.id, model_name=model,
                              model_version=version, dimension=2, vector=b"\0" * 8))
    session.flush()


def test_rates_say_what_they_leave_out() -> None:
    figures = rate_figures(["present", "present", "late", None, None, None, "excused"])
    assert figures == RateFigures(attended=3, recorded=3, excused=1, unrecorded=3)
    assert figures.rate == 1.0
    assert figures.summary("students") == (
        "rate over 3 recorded students; left out: 3 not recorded yet, 1 excused")
    assert rate_figures([]).rate is None
    assert rate_figures(["absent"]).summary("students") == "rate over 1 recorded student"


def test_obstacles_name_every_reason(db_session: Session) -> None:
    course, _, (ok, no_photo, no_consent) = add_course_with_session(db_session, students=3)
    old_version = add_student(db_session, "OLD")
    inactive = add_student(db_session, "INA")
    inactive.active = False
    for student in (ok, no_consent, inactive):
        _photo(db_session, student.id)
    _photo(db_session, old_version.id, version="v0")  # of a model version no longer used
    withdraw_consent(db_session, no_consent.id, actor="test")
    ids = [ok.id, no_photo.id, no_consent.id, old_version.id, inactive.id]

    found = recognition_obstacles(db_session, course, ids, DLIB)

    assert found == {no_photo.id: ["no accepted photo for the face model dlib"],
                     no_consent.id: [NO_CONSENT],
                     old_version.id: ["no accepted photo for the face model dlib"],
                     inactive.id: [INACTIVE]}
    course.face_recognition_enabled = False
    assert recognition_obstacles(db_session, course, [ok.id], DLIB) == {ok.id: [RECOGNITION_OFF]}


def test_obstacles_follow_the_fusion_rule(db_session: Session) -> None:
    course, _, (dlib_only,) = add_course_with_session(db_session, students=1)
    _photo(db_session, dlib_only.id)
    assert recognition_obstacles(db_session, course, [dlib_only.id], BOTH) == {
        dlib_only.id: ["no accepted photo for the face model inhouse"]}
    assert recognition_obstacles(db_session, course, [dlib_only.id], EITHER) == {}
    assert recognition_obstacles(
        db_session, course, [dlib_only.id], RecognitionSetup(BOTH.model_versions, "dlib")) == {}


def test_counts_of_a_running_session(db_session: Session) -> None:
    _course, class_session, students = add_course_with_session(db_session, students=7)
    for student in students[:5]:
        _photo(db_session, student.id)
    for student, minute in ((students[0], 1), (students[0], 2), (students[1], 15),
                            (students[1], 16), (students[2], 3)):  # 2: seen once
        count_sighting(db_session, class_session_id=class_session.id, student_id=student.id,
                       seen_at=class_session.starts_at + timedelta(minutes=minute),
                       min_sightings=2)
    override_attendance(db_session, class_session_id=class_session.id,
                        student_id=students[3].id, status="excused", reason="ill", actor="t")
    rows = session_report(db_session, class_session.id)
    obstacles = recognition_obstacles(db_session, class_session.course,
                                      [s.id for s in students], DLIB)

    counts = session_counts(rows, False, obstacles)

    assert (counts.students, counts.present, counts.late, counts.excused, counts.absent,
            counts.not_seen) == (7, 1, 1, 1, 0, 4)
    assert (counts.unrecognisable, counts.unrecognisable_unseen) == (2, 2)
    assert counts.figures.summary("students") == (
        "rate over 2 recorded students; left out: 4 not recorded yet, 1 excused")
    seen_once = next(r for r in rows if r.student_id == students[2].id)
    assert (seen_once.status, live_status(seen_once, False), live_status(seen_once, True)) == (
        "absent", None, "absent")
    assert session_counts(rows, True, obstacles).absent == 1


def test_today_in_each_course_time_zone(db_session: Session) -> None:
    alice = User(username="alice", role="teacher", password_hash="x")
    db_session.add(alice)
    db_session.flush()
    berlin, running, _ = add_course_with_session(db_session, code="BER", starts_at=NOW
                                                 - timedelta(minutes=30), students=2)
    berlin.timezone, berlin.teacher_id = "Europe/Berlin", alice.id
    extra = [ClassSession(course_id=berlin.id, starts_at=start, ends_at=start + timedelta(hours=1))
             for start in (NOW - timedelta(hours=3), NOW + timedelta(hours=2),
                           NOW + timedelta(hours=16))]  # 16 h: tomorrow in Berlin
    db_session.add_all(extra)
    # Los Angeles: 00:30 local on 2024-03-04; a session at 23:00 UTC on 03-03 is 15:00 on
    # 03-03 there: yesterday.
    la, yesterday, _ = add_course_with_session(db_session, code="LAX",
                                               starts_at=NOW - timedelta(hours=9, minutes=30))
    la.timezone, la.teacher_id = "America/Los_Angeles", alice.id
    scheduled, first_session, _ = add_course_with_session(db_session, code="SCH",
                                                           starts_at=NOW - timedelta(days=7))
    scheduled.teacher_id = alice.id
    db_session.add(CourseSchedule(course_id=scheduled.id, weekday=NOW.weekday(),
                                  start_time=time(14), end_time=time(15)))
    other, _, _ = add_course_with_session(db_session, code="OTH", starts_at=NOW)
    db_session.flush()

    view = today_view(db_session, Actor(alice.id), NOW, DLIB)

    assert [e.class_session.id for e in view.now] == [running.id]
    assert [e.class_session.id for e in view.next] == [extra[1].id]
    assert [e.class_session.id for e in view.done] == [extra[0].id]
    assert [c.code for c in view.without_session] == ["SCH"]
    assert view.live
    entry = view.now[0]
    assert entry.phase is Phase.NOW
    assert (entry.counts.students, entry.counts.not_seen, entry.counts.unrecognisable) == (
        2, 2, 2)
    admin = today_view(db_session, Actor(0, is_admin=True), NOW, DLIB)
    assert {e.course.code for e in admin.now} == {"BER", "OTH"}
    del yesterday, first_session, other


def test_nothing_today(db_session: Session) -> None:
    view = today_view(db_session, Actor(12345), NOW, DLIB)
    assert view.empty
    assert not view.live


@pytest.mark.parametrize(("statuses", "rate"), [
    (["present", "late", "absent", "excused", None], 2 / 3),
    ([None, "excused"], None),
])
def test_rate_figures_rate(statuses: list[str | None], rate: float | None) -> None:
    assert rate_figures(statuses).rate == rate


def test_a_session_running_across_midnight_is_on_now(db_session: Session) -> None:
    # Began at 23:30 yesterday, ends at 00:40: at 00:15 it is on now; yesterday's session
    # that ended before midnight is not today's.
    after_midnight = datetime(2024, 3, 5, 0, 15, tzinfo=UTC)
    add_course_with_session(db_session, code="EVE",
                            starts_at=datetime(2024, 3, 4, 23, 30, tzinfo=UTC), minutes=70)
    add_course_with_session(db_session, code="DAY",
                            starts_at=datetime(2024, 3, 4, 20, 0, tzinfo=UTC), minutes=60)
    view = today_view(db_session, Actor(0, is_admin=True), after_midnight, DLIB)
    assert [e.course.code for e in view.now] == ["EVE"]
    assert view.done == []
    assert view.next == []
