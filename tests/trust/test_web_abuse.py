"""Proof: one teacher cannot reach another teacher's course, sessions, students, evidence
photos or exports (50 requests, every one 403 or 404, nothing changed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, AuditLog, ClassSession, Enrollment, Sighting, Student
from attendance.services.roster import add_to_roster
from attendance.services.sightings import record_sighting

from .conftest import RandomEmbedder  # noqa: F401  (the app fixture uses it)

START = datetime(2026, 3, 3, 8, tzinfo=UTC)


@dataclass(frozen=True)
class BobsClass:
    course_id: int
    session_ids: tuple[int, int]
    student_ids: tuple[int, int, int]
    sighting_ids: tuple[int, int, int]


def _bobs_class(factory: sessionmaker[Session], course_id: int) -> BobsClass:
    """Three students only on Bob's course, two sessions, one sighting each in the first."""
    with factory.begin() as session:
        students = [Student(student_number=f"BOB{i}", display_name=f"Bob's pupil {i}")
                    for i in range(3)]
        session.add_all(students)
        session.flush()
        add_to_roster(session, course_id, student_ids=[s.id for s in students])
        sessions = [ClassSession(course_id=course_id, starts_at=START + timedelta(days=d),
                                 ends_at=START + timedelta(days=d, hours=1)) for d in (0, 1)]
        session.add_all(sessions)
        session.flush()
        sightings = []
        for student in students:
            outcome = record_sighting(
                session, class_session_id=sessions[0].id, student_id=student.id,
                seen_at=START + timedelta(minutes=5), box=(10, 60, 60, 10),
                evidence={"dlib": {"distance": 0.45, "threshold": 0.5}}, min_sightings=5)
            sightings.append(outcome.sighting.id)
        return BobsClass(course_id, (sessions[0].id, sessions[1].id),
                         (students[0].id, students[1].id, students[2].id),
                         (sightings[0], sightings[1], sightings[2]))


def _requests(bob: BobsClass) -> list[tuple[str, str, dict[str, Any]]]:
    c = bob.course_id
    out: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/courses/{c}", {}),
        ("GET", f"/courses/{c}/attendance", {}),
        ("GET", f"/courses/{c}/attendance-rate.svg", {}),
        ("GET", f"/courses/{c}/edit", {}),
        ("GET", f"/courses/{c}/export", {}),
        ("GET", f"/courses/{c}/export?start=2026-03-01&end=2026-03-31&format=csv", {}),
        ("GET", f"/courses/{c}/review", {}),
        ("GET", f"/courses/{c}/sessions", {}),
        ("POST", f"/courses/{c}/edit", {"code": "HIJACK", "name": "x", "timezone": "UTC"}),
        ("POST", f"/courses/{c}/roster", {"student_number": "S001"}),
        ("POST", f"/courses/{c}/sessions/materialize",
         {"start": "2026-03-01", "end": "2026-03-31"}),
    ]
    out += [("POST", f"/courses/{c}/roster/{s}/remove", {}) for s in bob.student_ids]
    for sid in bob.session_ids:
        out += [
            ("GET", f"/sessions/{sid}", {}),
            ("GET", f"/sessions/{sid}/export.csv", {}),
            ("GET", f"/sessions/{sid}/export.xlsx", {}),
            ("POST", f"/sessions/{sid}/confirm", {}),
            ("POST", f"/sessions/{sid}/checkin-code", {}),
            ("POST", f"/sessions/{sid}/checkin-code/close", {}),
        ]
        for student in bob.student_ids:
            out += [
                ("GET", f"/sessions/{sid}/students/{student}/evidence", {}),
                ("POST", f"/sessions/{sid}/students/{student}/override",
                 {"status": "present", "reason": "hijack"}),
            ]
    for sighting in bob.sighting_ids:
        out += [("POST", f"/sightings/{sighting}/confirm", {}),
                ("POST", f"/sightings/{sighting}/reject", {})]
    for student in bob.student_ids:
        out += [("GET", f"/students/{student}", {}),
                ("POST", f"/students/{student}/consent",
                 {"given_by": "x", "relation": "student", "notice_version": "1"})]
    out.append(("POST", f"/students/{bob.student_ids[0]}/delete", {}))
    return out


def _state(factory: sessionmaker[Session]) -> tuple[int, ...]:
    with factory() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) or 0 for table in
                     (AttendanceRecord, Sighting, Enrollment, ClassSession, Student, AuditLog))


def test_a_teacher_gets_nothing_of_another_teachers_class(
    client: FlaskClient, auth: Any, classroom: Any, session_factory: sessionmaker[Session],
) -> None:
    bob = _bobs_class(session_factory, classroom.other_course_id)
    requests = _requests(bob)
    assert len(requests) >= 50
    auth.login("alice")
    before = _state(session_factory)  # after signing in: the sign-in itself is audited
    answers: dict[int, int] = {}
    leaks = []
    for method, url, data in requests:
        status = client.open(url, method=method, data=data).status_code
        answers[status] = answers.get(status, 0) + 1
        if status not in (403, 404):
            leaks.append((method, url, status))
    changed = _state(session_factory) != before
    print(f"\n[trust] cross-teacher: {len(requests)} requests by alice for bob's class -> "
          f"{answers}; leaks {len(leaks)}, state changed {changed}")
    assert leaks == []
    assert not changed
    # The same kind of URL works for alice's own class: the refusals are about ownership.
    own = classroom.session_id
    for url in (f"/courses/{classroom.course_id}", f"/sessions/{own}",
                f"/sessions/{own}/export.csv", f"/students/{classroom.student_ids[0]}"):
        assert client.get(url).status_code == 200, url
