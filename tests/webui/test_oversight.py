"""The session page's human oversight: provisional vs confirmed marks, one-click
confirmation (audited, scoped to the teacher's own courses), and the incomplete flag."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, ClassSession
from attendance.services.records import count_sighting

from .conftest import AuthActions, Classroom


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_confirm_freezes_automatic_marks(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    student = classroom.student_ids[0]
    with session_factory.begin() as session:
        count_sighting(session, class_session_id=classroom.session_id, student_id=student,
                       seen_at=datetime(2026, 3, 2, 8, 5, tzinfo=UTC), min_sightings=2)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert '<span class="state state-provisional">provisional</span>' in page
    assert "Confirm these marks" in page

    response = client.post(f"/sessions/{classroom.session_id}/confirm", follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Marks confirmed" in page
    assert '<span class="state state-confirmed">confirmed</span>' in page
    assert "Confirmed by alice" in page
    assert "Confirm these marks" not in page
    with session_factory.begin() as session:  # the camera sees the student again
        count_sighting(session, class_session_id=classroom.session_id, student_id=student,
                       seen_at=datetime(2026, 3, 2, 8, 6, tzinfo=UTC), min_sightings=2)
    with session_factory() as session:
        record = session.scalars(select(AttendanceRecord)).one()
        row = session.get(ClassSession, classroom.session_id)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "session.confirm")
                                ).one()
    assert (record.status, record.sightings_count) == ("absent", 1)  # unchanged
    assert row is not None
    assert row.confirmed_by == "alice"
    assert (audit.actor, audit.target_id) == ("alice", classroom.session_id)
    again = client.post(f"/sessions/{classroom.session_id}/confirm", follow_redirects=True)
    assert "already confirmed by alice" in again.get_data(as_text=True)
    listing = client.get(f"/courses/{classroom.course_id}/sessions").get_data(as_text=True)
    assert "ended, confirmed" in listing


def test_cannot_confirm_another_teachers_session(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    response = client.post(f"/sessions/{classroom.other_session_id}/confirm")
    assert response.status_code in (403, 404)
    with session_factory() as session:
        row = session.get(ClassSession, classroom.other_session_id)
        assert row is not None
        assert row.confirmed_at is None


def test_incomplete_session_is_flagged(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        row = session.get(ClassSession, classroom.session_id)
        assert row is not None
        row.frames_received, row.frames_expected, row.incomplete = 700, 1080, True
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert '<span class="state state-incomplete">incomplete</span>' in page
    assert "only 65% of this session" in page
    listing = client.get(f"/courses/{classroom.course_id}/sessions").get_data(as_text=True)
    assert '<span class="state state-provisional">to confirm</span>' in listing
    assert '<span class="state state-incomplete">incomplete</span>' in listing
    csv_text = client.get(f"/sessions/{classroom.session_id}/export.csv").get_data(as_text=True)
    assert csv_text.splitlines()[1].endswith(",provisional,yes")
