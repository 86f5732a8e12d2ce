"""Proof: one teacher gets nothing of another teacher's class (``docs/reliability.md``).

Alice, signed in, sends at least 150 requests at Bob's objects: his course, roster, sessions,
marks, check-in codes, exports, evidence, review verdicts, face thumbnails, students (page,
name form, photos, consent, erasure), enrollment under his pupils' numbers or into his
course, and his camera. Every one is refused (403, 404, or 400/409 for a form naming his
things), never answered 2xx or 5xx; searches of her students list answer 200 without a trace
of his pupils; and a fingerprint of Bob's data is the same afterwards. The figures per kind
are printed for ``docs/reliability.md``.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import (
    AttendanceRecord,
    AuditLog,
    Camera,
    CameraTeacher,
    CheckinCode,
    ClassSession,
    Consent,
    Course,
    Enrollment,
    FacePhoto,
    ReviewDecision,
    Sighting,
    Student,
)
from attendance.services.consent import give_consent
from attendance.services.roster import add_to_roster
from attendance.services.sightings import record_sighting
from attendance.worker.thumbnails import save_thumbnail

from .conftest import RandomEmbedder  # noqa: F401  (the app fixture uses it)

START = datetime(2026, 3, 3, 8, tzinfo=UTC)
PUPILS = 6
SESSIONS = 3
#: Refusals: 403/404 for Bob's objects, 400 (a choice not offered) or 409 (a taken number)
#: for forms that name them.
REFUSED = {400, 403, 404, 409}


@dataclass(frozen=True)
class BobsClass:
    course_id: int
    camera_id: int
    bob_id: int
    session_ids: tuple[int, ...]
    student_ids: tuple[int, ...]
    numbers: tuple[str, ...]
    names: tuple[str, ...]
    consent_ids: tuple[int, ...]
    sighting_ids: tuple[int, ...]


def _bobs_class(factory: sessionmaker[Session], settings: Settings, course_id: int,
                bob_id: int) -> BobsClass:
    """Pupils only on Bob's course (consenting for it), sessions, one unsure sighting of each
    pupil in the first session with a kept face thumbnail, and a camera filming his course."""
    cipher = TemplateCipher.from_settings(settings)
    with factory.begin() as session:
        camera = Camera(name="bob-room", source="rtsp://bob:secret@cam-b.lan/live")
        session.add(camera)
        session.flush()
        course = session.get(Course, course_id)
        assert course is not None
        course.camera_id = camera.id
        session.add(CameraTeacher(camera_id=camera.id, user_id=bob_id))
        students = [Student(student_number=f"BOB{i}", display_name=f"Bobs Pupil {i}",
                            email=f"pupil{i}@bob.example") for i in range(PUPILS)]
        session.add_all(students)
        session.flush()
        add_to_roster(session, course_id, student_ids=[s.id for s in students])
        consents = [give_consent(session, s.id, given_by=s.display_name, notice_version="1",
                                 course_ids=[course_id], actor="bob").id for s in students]
        sessions = [ClassSession(course_id=course_id, starts_at=START + timedelta(days=d),
                                 ends_at=START + timedelta(days=d, hours=1))
                    for d in range(SESSIONS)]
        session.add_all(sessions)
        session.flush()
        sightings = []
        frame = np.full((200, 200, 3), 128, dtype=np.uint8)
        for index, student in enumerate(students):
            seen_at = START + timedelta(minutes=5 + index)
            key = f"bob-room-{index:04d}"
            outcome = record_sighting(
                session, class_session_id=sessions[0].id, student_id=None, seen_at=seen_at,
                box=(20, 180, 180, 20), dedupe_key=key, camera_id=camera.id, min_sightings=5,
                evidence={"dlib": {"distance": 0.55, "threshold": 0.5, "version": "v1",
                                   "candidate": student.id, "accepted": False}})
            assert save_thumbnail(settings.instance_path, seen_at, key, frame,
                                  (20, 180, 180, 20), cipher)
            sightings.append(outcome.sighting.id)
        return BobsClass(course_id, camera.id, bob_id, tuple(s.id for s in sessions),
                         tuple(s.id for s in students), tuple(s.student_number for s in students),
                         tuple(s.display_name for s in students), tuple(consents),
                         tuple(sightings))


def _photo() -> tuple[io.BytesIO, str]:
    return io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg"), "stranger.jpg"


Request = tuple[str, str, str, dict[str, Any]]  # kind, method, url, form data


def _requests(bob: BobsClass, own_course: int, own_session: int) -> list[Request]:
    c, cam = bob.course_id, bob.camera_id
    out: list[Request] = [
        ("course", "GET", f"/courses/{c}", {}),
        ("course", "GET", f"/courses/{c}/attendance", {}),
        ("course", "GET", f"/courses/{c}/attendance-rate.svg", {}),
        ("course", "GET", f"/courses/{c}/edit", {}),
        ("course", "POST", f"/courses/{c}/edit", {"name": "Hijacked", "timezone": "UTC",
                                                   "late_after_minutes": "0"}),
        ("course", "GET", f"/courses/{c}/sessions", {}),
        ("course", "POST", f"/courses/{c}/sessions/materialize", {"weeks": "2"}),
        ("review", "GET", f"/courses/{c}/review", {}),
        ("export", "GET", f"/courses/{c}/export", {}),
        ("export", "GET", f"/courses/{c}/export?date_from=2026-03-01&date_to=2026-03-31", {}),
        ("export", "GET",
         f"/courses/{c}/export?date_from=2026-03-01&date_to=2026-03-31&format=xlsx", {}),
        ("roster", "POST", f"/courses/{c}/roster", {"student_numbers": "S001"}),
        ("roster", "POST", f"/courses/{c}/roster", {"student_numbers": " ".join(bob.numbers)}),
        ("camera", "POST", "/cameras/", {"name": "rogue", "source": "0"}),
        ("camera", "POST", f"/cameras/{cam}/teachers", {"teacher": "1"}),
        ("camera", "POST", f"/cameras/{cam}/teachers/{bob.bob_id}/remove", {}),
        ("camera", "GET", f"/cameras/{cam}/edit", {}),
        ("camera", "POST", f"/cameras/{cam}/edit", {"name": "rogue", "source": "0"}),
        ("camera", "GET", f"/cameras/{cam}/remove", {}),
        ("camera", "POST", f"/cameras/{cam}/remove", {"detach": "y"}),
        ("account", "GET", "/users/", {}),
        ("account", "POST", "/users/", {"username": "rogue", "role": "admin"}),
        ("account", "POST", f"/users/{bob.bob_id}/password", {}),
        ("account", "POST", f"/users/{bob.bob_id}/deactivate", {}),
        ("account", "POST", f"/users/{bob.bob_id}/role", {"role": "teacher"}),
        ("enrollment", "POST", "/students/enroll",
         {"student_number": "NEW1", "display_name": "Into Bobs", "consent": "y",
          "course": str(c), "photos": [_photo()]}),
    ]
    out += [("roster", "POST", f"/courses/{c}/roster/{s}/remove", {}) for s in bob.student_ids]
    for sid in bob.session_ids:
        out += [
            ("session", "GET", f"/sessions/{sid}", {}),
            ("session", "POST", f"/sessions/{sid}/confirm", {}),
            ("session", "POST", f"/sessions/{sid}/checkin-code", {}),
            ("session", "POST", f"/sessions/{sid}/checkin-code/close", {}),
            ("export", "GET", f"/sessions/{sid}/export.csv", {}),
            ("export", "GET", f"/sessions/{sid}/export.xlsx", {}),
        ]
        for student in bob.student_ids:
            out += [
                ("evidence", "GET", f"/sessions/{sid}/students/{student}/evidence", {}),
                ("session", "POST", f"/sessions/{sid}/students/{student}/override",
                 {"status": "present", "reason": "hijack"}),
            ]
    for student in bob.student_ids:  # her own session, his pupils' names
        out.append(("evidence", "GET", f"/sessions/{own_session}/students/{student}/evidence",
                    {}))
    for sighting, student in zip(bob.sighting_ids, bob.student_ids, strict=True):
        out += [
            ("review", "POST", f"/sightings/{sighting}/confirm", {"student_id": str(student)}),
            ("review", "POST", f"/sightings/{sighting}/confirm",
             {"student_id": str(student), "add_photo": "y"}),
            ("review", "POST", f"/sightings/{sighting}/reject", {"student_id": str(student)}),
            ("thumbnail", "GET", f"/sightings/{sighting}/thumbnail.jpg", {}),
        ]
    for student, number, consent in zip(bob.student_ids, bob.numbers, bob.consent_ids,
                                        strict=True):
        out += [
            ("student", "GET", f"/students/{student}", {}),
            ("student", "GET", f"/students/{student}/edit", {}),
            ("student", "POST", f"/students/{student}/edit",
             {"display_name": "Renamed", "email": "x@y.example"}),
            ("student", "GET", f"/students/{student}/photos", {}),
            ("student", "POST", f"/students/{student}/photos", {"photos": [_photo()]}),
            ("student", "GET", f"/students/{student}/erase", {}),
            ("student", "POST", f"/students/{student}/erase", {"confirm_number": number}),
            ("consent", "POST", f"/students/{student}/consent",
             {"given_by": "x", "relation": "student", "notice_version": "1",
              "all_courses": "y"}),
            ("consent", "POST", f"/students/{student}/consent",
             {"given_by": "x", "relation": "student", "notice_version": "1",
              "courses": [str(c)]}),
            ("consent", "POST", f"/students/{student}/consent/{consent}/withdraw", {}),
            ("enrollment", "POST", "/students/enroll",
             {"student_number": number, "display_name": "Mallory", "email": "m@evil.example",
              "consent": "y", "course": str(own_course), "photos": [_photo()]}),
        ]
    return out


def _fingerprint(factory: sessionmaker[Session], bob: BobsClass) -> tuple[object, ...]:
    """Row counts of every table a request could touch, and Bob's rows themselves."""
    with factory() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(table)) or 0 for table in
                       (AttendanceRecord, Sighting, Enrollment, ClassSession, Student, AuditLog,
                        Consent, FacePhoto, CameraTeacher, CheckinCode, ReviewDecision, Camera))
        course = session.get(Course, bob.course_id)
        assert course is not None
        students = tuple((s.student_number, s.display_name, s.email) for s in session.scalars(
            select(Student).where(Student.id.in_(bob.student_ids)).order_by(Student.id)))
        consents = tuple((c.id, c.all_courses, tuple(c.course_ids), c.withdrawn_at)
                         for c in session.scalars(select(Consent).where(
                             Consent.student_id.in_(bob.student_ids)).order_by(Consent.id)))
        sessions = tuple((s.id, s.confirmed_at, s.starts_at) for s in session.scalars(
            select(ClassSession).where(ClassSession.course_id == bob.course_id)))
        sightings = tuple((s.id, s.student_id) for s in session.scalars(
            select(Sighting).where(Sighting.id.in_(bob.sighting_ids))))
        return (counts, (course.name, course.camera_id, course.teacher_id, course.timezone),
                students, consents, sessions, sightings)


def test_a_teacher_gets_nothing_of_another_teachers_class(
    client: FlaskClient, auth: Any, classroom: Any, people: Any, settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    bob = _bobs_class(session_factory, settings, classroom.other_course_id, people.bob)
    requests = _requests(bob, classroom.course_id, classroom.session_id)
    assert len(requests) >= 150
    auth.login("alice")
    before = _fingerprint(session_factory, bob)  # after signing in: the sign-in is audited
    kinds: dict[str, Counter[int]] = defaultdict(Counter)
    leaks: list[tuple[str, str, int]] = []
    secrets = (*bob.names, *(f"pupil{i}@bob.example" for i in range(PUPILS)), "cam-b.lan")
    for kind, method, url, data in requests:
        response = client.open(url, method=method, data=data,
                               content_type="multipart/form-data" if method == "POST" else None)
        kinds[kind][response.status_code] += 1
        body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
        if response.status_code not in REFUSED or any(s in body for s in secrets):
            leaks.append((method, url, response.status_code))
    # Her own lists answer, without a trace of his pupils or his camera.
    searches = ["/students/", "/students/?q=BOB", "/students/?q=Pupil", "/cameras/",
                "/courses/", "/students/enroll"]
    for url in searches:
        response = client.get(url)
        kinds["lists (200, no trace)"][response.status_code] += 1
        body = response.get_data(as_text=True)
        if response.status_code != 200 or any(s in body for s in (*secrets, *bob.numbers)):
            leaks.append(("GET", url, response.status_code))
    after = _fingerprint(session_factory, bob)
    total = sum(sum(c.values()) for c in kinds.values())
    print(f"\n[trust] cross-teacher probe: {total} requests by alice at bob's class; "
          f"leaks {len(leaks)}, bob's data changed {after != before}")
    for kind in sorted(kinds):
        statuses = ", ".join(f"{n} x {s}" for s, n in sorted(kinds[kind].items()))
        print(f"[trust]   {kind:<22} {sum(kinds[kind].values()):>3}: {statuses}")
    assert leaks == []
    assert after == before
    # The same kind of URL works for alice's own class: the refusals are about ownership.
    own = classroom.session_id
    for url in (f"/courses/{classroom.course_id}", f"/sessions/{own}",
                f"/sessions/{own}/export.csv", f"/students/{classroom.student_ids[0]}"):
        assert client.get(url).status_code == 200, url
    # And Bob reaches his own: a thumbnail and a pupil's page.
    auth.logout()
    auth.login("bob")
    assert client.get(f"/sightings/{bob.sighting_ids[0]}/thumbnail.jpg").status_code == 200
    assert client.get(f"/students/{bob.student_ids[0]}").status_code == 200
