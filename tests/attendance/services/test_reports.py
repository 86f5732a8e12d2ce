"""Attendance reports: counts per session, rows per student, local dates and times."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from attendance.db import ClassSession
from attendance.errors import InvalidInput, NotFound
from attendance.services.records import override_attendance
from attendance.services.reports import course_report, session_report, session_summaries
from attendance.services.roster import remove_from_roster

from .factories import add_course_with_session


def test_session_summaries_count_by_status(db_session: Session) -> None:
    course, first, students = add_course_with_session(db_session, students=3)
    second = ClassSession(course_id=course.id, starts_at=datetime(2024, 3, 11, 8, tzinfo=UTC),
                          ends_at=datetime(2024, 3, 11, 9, tzinfo=UTC))
    db_session.add(second)
    db_session.flush()
    for student, status in zip(students, ("present", "present", "excused"), strict=True):
        override_attendance(db_session, class_session_id=first.id, student_id=student.id,
                            status=status, reason="test", actor="t")
    summaries = session_summaries(db_session, course.id)
    assert [(s.id, s.present, s.late, s.absent, s.excused) for s in summaries] == [
        (first.id, 2, 0, 0, 1), (second.id, 0, 0, 0, 0)]
    later = session_summaries(db_session, course.id,
                              starts_from=datetime(2024, 3, 5, tzinfo=UTC))
    assert [s.id for s in later] == [second.id]


def test_session_report_keeps_students_removed_after_their_mark(db_session: Session) -> None:
    course, class_session, students = add_course_with_session(db_session, students=2)
    override_attendance(db_session, class_session_id=class_session.id,
                        student_id=students[1].id, status="late", reason="bus", actor="t")
    remove_from_roster(db_session, course.id, student_ids=[students[1].id])
    rows = session_report(db_session, class_session.id)
    assert [(r.student_number, r.status, r.source) for r in rows] == [
        ("CS101-000", None, None), ("CS101-001", "late", "manual")]
    assert rows[1].reason == "bus"


def test_course_report_uses_local_dates(db_session: Session) -> None:
    course, class_session, _ = add_course_with_session(
        db_session, students=1, starts_at=datetime(2024, 3, 4, 23, 30, tzinfo=UTC))
    course.timezone = "Europe/Berlin"  # 23:30 UTC on the 4th is 00:30 on the 5th in Berlin
    db_session.flush()
    assert course_report(db_session, course.id, date(2024, 3, 4), date(2024, 3, 4)) == []
    (row,) = course_report(db_session, course.id, date(2024, 3, 5), date(2024, 3, 5))
    assert row.session_start.isoformat() == "2024-03-05T00:30:00+01:00"
    assert row.session_id == class_session.id


def test_course_report_refuses_bad_input(db_session: Session) -> None:
    course, _, _ = add_course_with_session(db_session)
    with pytest.raises(InvalidInput, match="empty"):
        course_report(db_session, course.id, date(2024, 3, 5), date(2024, 3, 4))
    with pytest.raises(NotFound):
        course_report(db_session, 999_999, date(2024, 3, 4), date(2024, 3, 4))
    with pytest.raises(NotFound):
        session_report(db_session, 999_999)
