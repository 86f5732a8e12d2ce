"""History: a student's record and rate, a course's matrix, and the rate chart as SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import ClassSession
from attendance.services.history import attendance_rate
from attendance.services.records import count_sighting, override_attendance

from .conftest import AuthActions, Classroom


def test_rate_leaves_out_excused_and_unrecorded() -> None:
    assert attendance_rate([]) is None
    assert attendance_rate([None, "excused"]) is None
    assert attendance_rate(["present", "late", "absent", "excused", None]) == 2 / 3


def _marks(factory: sessionmaker[Session], classroom: Classroom) -> int:
    """Session 1 (2026-03-02): S001 present, S002 absent. Session 2 (03-09): S001 late,
    S002 excused. A third session lies in the future and is never shown."""
    first, second = classroom.student_ids
    with factory.begin() as session:
        later = ClassSession(course_id=classroom.course_id,
                             starts_at=datetime(2026, 3, 9, 8, tzinfo=UTC),
                             ends_at=datetime(2026, 3, 9, 9, 30, tzinfo=UTC))
        future = datetime.now(UTC) + timedelta(days=30)
        session.add_all([later, ClassSession(course_id=classroom.course_id, starts_at=future,
                                             ends_at=future + timedelta(hours=1))])
        session.flush()
        count_sighting(session, class_session_id=classroom.session_id, student_id=first,
                       seen_at=datetime(2026, 3, 2, 8, 1, tzinfo=UTC), min_sightings=1)
        count_sighting(session, class_session_id=later.id, student_id=first,
                       seen_at=datetime(2026, 3, 9, 8, 30, tzinfo=UTC), min_sightings=1)
        override_attendance(session, class_session_id=classroom.session_id, student_id=second,
                            status="absent", reason="not there", actor="alice")
        override_attendance(session, class_session_id=later.id, student_id=second,
                            status="excused", reason="ill", actor="alice")
        return later.id


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_student_history_and_rate(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _marks(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/students/{classroom.student_ids[0]}").get_data(as_text=True)
    assert "Zoë Ångström" in page
    assert "<strong>100 %</strong>" in page
    assert "1 present · 1 late · 0 absent · 0 excused · 0 unrecorded" in page
    assert page.index("Mon 2026-03-09 09:00") < page.index("Mon 2026-03-02 09:00")  # newest first
    other = client.get(f"/students/{classroom.student_ids[1]}").get_data(as_text=True)
    assert "<strong>0 %</strong>" in other


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_course_matrix_and_chart(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _marks(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/attendance").get_data(as_text=True)
    assert "2 student(s) × the last 2 session(s)" in page
    assert '<span class="visually-hidden">late</span>' in page
    assert "<strong>67 %</strong>" in page  # 2 attended of 3 countable
    assert "50 %" in page
    assert "100 %" in page
    assert f'src="/courses/{classroom.course_id}/attendance-rate.svg"' in page
    chart = client.get(f"/courses/{classroom.course_id}/attendance-rate.svg")
    assert chart.status_code == 200
    assert chart.mimetype == "image/svg+xml"
    assert chart.data.startswith(b"<?xml")
    assert b"<svg" in chart.data
    assert b"present or late" in chart.data  # text stays text


def test_history_is_scoped_to_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("bob")  # neither student is in any of Bob's courses
    student = classroom.student_ids[0]
    for url in (f"/students/{student}", f"/courses/{classroom.course_id}/attendance",
                f"/courses/{classroom.course_id}/attendance-rate.svg", "/students/999999"):
        assert client.get(url).status_code == 404, url
    client.post("/auth/logout")
    auth.login("admin")
    assert client.get(f"/students/{student}").status_code == 200
    assert client.get(f"/courses/{classroom.other_course_id}/attendance").status_code == 200


def test_course_rates_say_what_they_leave_out(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """One student seen, the other not recorded yet: 100 % is stated with its basis."""
    with session_factory.begin() as session:
        count_sighting(session, class_session_id=classroom.session_id,
                       student_id=classroom.student_ids[0], min_sightings=1,
                       seen_at=datetime(2026, 3, 2, 8, 1, tzinfo=UTC))
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/attendance").get_data(as_text=True)
    assert "<strong>100 %</strong> present or late" in page
    assert "(rate over 1 recorded mark; left out: 1 not recorded yet)" in page
    assert '1 not rec.</span>' in page
