"""Sessions: the list with counts, materialising, a session's marks and manual corrections."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, ClassSession
from attendance.services.records import count_sighting, override_attendance

from .conftest import AuthActions, Classroom


def _seen(factory: sessionmaker[Session], classroom: Classroom) -> None:
    """S001 seen twice from 09:04 local (present); S002 excused by hand."""
    with factory.begin() as session:
        for minute in (4, 6):
            count_sighting(session, class_session_id=classroom.session_id,
                           student_id=classroom.student_ids[0],
                           seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC), min_sightings=2)
        override_attendance(session, class_session_id=classroom.session_id,
                            student_id=classroom.student_ids[1], status="excused",
                            reason="school trip", actor="alice")


def test_session_list_shows_local_times_and_counts(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _seen(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/courses/{classroom.course_id}/sessions").get_data(as_text=True)
    assert "Mon 2026-03-02" in page
    assert "09:00–10:30" in page  # 08:00 UTC is 09:00 in Berlin in March
    counts = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', page)]
    assert counts == [1, 0, 0, 1]  # present, late, absent, excused


def test_materialize_sessions(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    url = f"/courses/{classroom.course_id}/sessions/materialize"
    response = client.post(url, data={"weeks": "2"}, follow_redirects=True)
    assert "2 session(s) created" in response.get_data(as_text=True)
    assert "0 session(s) created" in client.post(url, data={"weeks": "2"},
                                                 follow_redirects=True).get_data(as_text=True)
    refused = client.post(url, data={"weeks": "99"}, follow_redirects=True)
    assert "Number must be between 1 and 26." in refused.get_data(as_text=True)
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(ClassSession)
                               .where(ClassSession.course_id == classroom.course_id))
        audits = session.scalars(select(AuditLog.action)
                                 .where(AuditLog.action == "session.materialize")).all()
    assert total == 3
    assert len(audits) == 2


def test_session_page_lists_roster_with_marks(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _seen(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "Zoë Ångström" in page
    assert '<span class="status status-present">present</span>' in page
    assert "09:04:00" in page  # first seen, local time
    assert "school trip" in page
    assert f'name="s{classroom.student_ids[0]}-reason"' in page


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_override_is_audited_and_kept(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    student = classroom.student_ids[0]
    response = client.post(
        f"/sessions/{classroom.session_id}/students/{student}/override",
        data={f"s{student}-status": "late", f"s{student}-reason": "arrived 09:20, camera missed"},
        follow_redirects=True,
    )
    assert "Mark corrected" in response.get_data(as_text=True)
    with session_factory.begin() as session:
        # The camera seeing the student afterwards changes nothing.
        count_sighting(session, class_session_id=classroom.session_id, student_id=student,
                       seen_at=datetime(2026, 3, 2, 8, 1, tzinfo=UTC), min_sightings=1)
    with session_factory() as session:
        record = session.scalars(select(AttendanceRecord)
                                 .where(AttendanceRecord.student_id == student)).one()
        audit = session.scalars(select(AuditLog)
                                .where(AuditLog.action == "attendance.override")).one()
    assert (record.status, record.source, record.updated_by) == ("late", "manual", "alice")
    assert audit.actor == "alice"
    assert audit.details["reason"] == "arrived 09:20, camera missed"
    assert audit.details["new_status"] == "late"


def test_override_needs_a_reason(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    student = classroom.student_ids[0]
    response = client.post(f"/sessions/{classroom.session_id}/students/{student}/override",
                           data={f"s{student}-status": "present", f"s{student}-reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Say why the mark is changed." in page
    assert 'aria-invalid="true"' in page
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(AttendanceRecord)) == 0
