"""What testers saw in issue 13, each as a web test through the access policy.

Alice teaches BIO101 (students S001, S002); Bob teaches CHEM1 with his own pupil B01 (email,
and an all-courses consent recorded by the registrar) and B02 (no consent yet). Each test
states the rule (``docs/privacy.md``, "Who can see it") and shows the old behaviour fails it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.db import AuditLog, Camera, Consent, Course, Enrollment, FacePhoto, Student
from attendance.detection import DetectedFace
from attendance.services.consent import give_consent, has_consent
from attendance.services.roster import add_to_roster
from enrollment import QualityReport

from .conftest import AuthActions, Classroom


@dataclass(frozen=True)
class BobsPupils:
    b01: int
    b02: int
    consent_id: int


@pytest.fixture
def bobs(session_factory: sessionmaker[Session], classroom: Classroom) -> BobsPupils:
    with session_factory.begin() as session:
        b01 = Student(student_number="B01", display_name="Bea Bobson", email="bea@school.edu")
        b02 = Student(student_number="B02", display_name="Ben Bobson")
        session.add_all([b01, b02])
        session.flush()
        add_to_roster(session, classroom.other_course_id, student_ids=[b01.id, b02.id])
        consent = give_consent(session, b01.id, given_by="Bea Bobson", notice_version="1",
                               actor="registrar")
        return BobsPupils(b01.id, b02.id, consent.id)


@pytest.fixture
def good_faces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every decodable photo counts as one good face (no face model needed here)."""

    def one_good_face(image: np.ndarray, settings: Settings, *, filename: str) -> QualityReport:
        height, width = image.shape[:2]
        face = DetectedFace(box=(0, width, height, 0), landmarks=np.zeros((5, 2), np.float32))
        return QualityReport(face=face, face_pixels=height, sharpness=100.0, brightness=128.0)

    monkeypatch.setattr("enrollment.service.assess_photo", one_good_face)


def _without_csrf(page: str) -> str:
    """``page`` with the value of every CSRF token blanked."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)


def _jpeg(shade: int = 128) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((120, 120, 3), shade, dtype=np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _enroll(client: FlaskClient, course_id: int, number: str, name: str,
            photos: list[tuple[bytes, str]], **extra: str) -> Any:
    return client.post("/students/enroll", content_type="multipart/form-data", data={
        "student_number": number, "display_name": name, "email": "new@mail.example",
        "consent": "y", "course": str(course_id),
        "photos": [(io.BytesIO(data), filename) for data, filename in photos], **extra})


def _student(factory: sessionmaker[Session], student_id: int) -> tuple[str, str | None, int]:
    """(name, email, photos) of the student."""
    with factory() as session:
        student = session.get(Student, student_id)
        assert student is not None
        photos = session.scalar(select(func.count()).select_from(FacePhoto).where(
            FacePhoto.student_id == student_id)) or 0
        return student.display_name, student.email, photos


def _actions(factory: sessionmaker[Session], action: str) -> list[AuditLog]:
    with factory() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


# -- enrollment ---------------------------------------------------------------------------------

@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_enrolling_another_teachers_number_changes_nothing_and_reveals_nothing(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, bobs: BobsPupils,
    session_factory: sessionmaker[Session], good_faces: None,
) -> None:
    """Was: Alice's form with B01, any name and a stranger's photo renamed Bob's pupil and
    added the stranger's face to them (200)."""
    before = _student(session_factory, bobs.b01)
    auth.login("alice")
    answers = [_enroll(client, classroom.course_id, number, "Mallory Stranger",
                       [(_jpeg(), "stranger.jpg"), (b"", "empty.jpg")])
               for number in ("B01", "B02")]
    assert [a.status_code for a in answers] == [409, 409]
    texts = [a.get_data(as_text=True) for a in answers]
    for text, name in zip(texts, ("Bea Bobson", "Ben Bobson"), strict=True):
        assert "cannot be enrolled from this form: it is already in use" in text
        assert name not in text
        assert "CHEM1" not in text
        assert "Add photos to this student instead" not in text
    # One message for every out-of-scope number: nothing tells B01 and B02 apart.
    # (The CSRF tokens are signed with the time, so two pages a second apart differ there.)
    assert _without_csrf(texts[0]).replace("B01", "B02") == _without_csrf(texts[1])
    assert _student(session_factory, bobs.b01) == before
    with session_factory() as session:
        assert session.get(Enrollment, (classroom.course_id, bobs.b01)) is None
    assert _actions(session_factory, "student.enroll") == []


def test_an_enrolled_number_is_an_explicit_add_photos_step_and_never_renames(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], good_faces: None,
) -> None:
    """Was: the enrollment form silently updated S001's name and email, even when its only
    photo (a zero-byte file) was refused."""
    s001 = classroom.student_ids[0]
    auth.login("alice")
    response = _enroll(client, classroom.course_id, "S001", "Renamed Person", [(b"", "e.jpg")])
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "S001 is already enrolled (Zoë Ångström)" in text
    assert f'href="/students/{s001}/photos"' in text
    assert _student(session_factory, s001) == ("Zoë Ångström", None, 0)
    # The explicit step: photos only, for a student with consent.
    with session_factory.begin() as session:
        give_consent(session, s001, given_by="Zoë", notice_version="1", actor="alice",
                     course_ids=[classroom.course_id])
    page = client.get(f"/students/{s001}/photos").get_data(as_text=True)
    assert "Add photos to Zoë Ångström" in page
    assert 'name="display_name"' not in page
    refused = client.post(f"/students/{s001}/photos", content_type="multipart/form-data",
                          data={"photos": [(io.BytesIO(b""), "empty.jpg")]})
    assert refused.status_code == 422
    assert "empty.jpg" in refused.get_data(as_text=True)
    accepted = client.post(f"/students/{s001}/photos", content_type="multipart/form-data",
                           data={"photos": [(io.BytesIO(_jpeg()), "zoe.jpg")]})
    assert accepted.status_code == 200
    assert _student(session_factory, s001) == ("Zoë Ångström", None, 1)


def test_a_refused_upload_answers_422_with_each_reason(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    """Was: 200 when no photo was accepted."""
    auth.login("alice")
    response = _enroll(client, classroom.course_id, "N001", "Nobody Yet",
                       [(b"", "empty.jpg"), (b"not an image", "text.jpg")])
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was stored for N001: no photo was accepted." in text
    assert text.count('<li class="refused">') == 2
    with session_factory() as session:
        assert session.scalar(select(Student).where(Student.student_number == "N001")) is None


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_a_teacher_enrolls_onto_their_roster_and_sees_the_student_then_the_form_is_empty(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, bobs: BobsPupils,
    session_factory: sessionmaker[Session], good_faces: None,
) -> None:
    """Was: the new student was on no roster (404 on their page for the teacher who enrolled
    them), consent covered all courses, and the form kept number, name and consent."""
    auth.login("alice")
    page = client.get("/students/enroll").get_data(as_text=True)
    assert f'<option value="{classroom.course_id}">BIO101 Biology</option>' in page
    assert "CHEM1" not in page
    assert "No course yet" not in page  # only admins enroll without a course
    response = _enroll(client, classroom.course_id, "N100", "Nia New",
                       [(_jpeg(), "nia.jpg")], consent_given_by="Her Mother",
                       consent_relation="guardian")
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text
    assert "Student N100 enrolled: 1 photo(s) accepted" in text
    assert 'value="N100"' not in text
    assert 'value="Nia New"' not in text
    assert 'value="Her Mother"' not in text
    assert '<input id="consent" name="consent" required type="checkbox" value="y">' in text
    with session_factory() as session:
        student = session.scalars(select(Student).where(Student.student_number == "N100")).one()
        assert session.get(Enrollment, (classroom.course_id, student.id)) is not None
        consent = session.scalars(select(Consent).where(Consent.student_id == student.id)).one()
        assert (consent.all_courses, consent.course_ids) == (False, [classroom.course_id])
        assert not has_consent(session, student.id, classroom.other_course_id)
    assert client.get(f"/students/{student.id}").status_code == 200
    # Without choosing one of her courses nothing is enrolled.
    refused = _enroll(client, classroom.other_course_id, "N101", "Nope",
                      [(_jpeg(10), "n.jpg")])
    assert refused.status_code == 400
    refused = _enroll(client, 0, "N101", "Nope", [(_jpeg(10), "n.jpg")], course="")
    assert refused.status_code == 400
    assert "Choose the course the student joins" in refused.get_data(as_text=True)


# -- consent ------------------------------------------------------------------------------------

@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_consent_on_a_shared_student_stays_within_the_teachers_own_courses(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, bobs: BobsPupils,
    session_factory: sessionmaker[Session],
) -> None:
    """Was: after putting Bob's pupils on her roster Alice withdrew B01's all-courses consent
    and recorded "all courses" for B02, so Bob's course recognised B02."""
    auth.login("alice")
    client.post(f"/courses/{classroom.course_id}/roster", data={"student_numbers": "B01 B02"})
    assert [a.details["student_numbers"] for a in _actions(session_factory, "roster.add")] == [
        ["B01", "B02"]]
    page = client.get(f"/students/{bobs.b01}").get_data(as_text=True)
    assert "an admin withdraws it" in page
    assert 'name="all_courses"' not in page
    assert client.post(f"/students/{bobs.b01}/consent/{bobs.consent_id}/withdraw"
                       ).status_code == 403
    with session_factory() as session:
        assert has_consent(session, bobs.b01, classroom.other_course_id)
    # "All courses" is not Alice's to record; Bob's course is not hers to name.
    client.post(f"/students/{bobs.b02}/consent", data={
        "given_by": "Ben", "relation": "student", "notice_version": "1", "all_courses": "y"})
    client.post(f"/students/{bobs.b02}/consent", data={
        "given_by": "Ben", "relation": "student", "notice_version": "1",
        "courses": [str(classroom.other_course_id)]})
    with session_factory() as session:
        assert session.scalars(select(Consent).where(Consent.student_id == bobs.b02)).all() == []
    client.post(f"/students/{bobs.b02}/consent", data={
        "given_by": "Ben", "relation": "student", "notice_version": "1",
        "courses": [str(classroom.course_id)]})
    with session_factory() as session:
        assert has_consent(session, bobs.b02, classroom.course_id)
        assert not has_consent(session, bobs.b02, classroom.other_course_id)
    # Shared pupils: their name, email and face stay Bob's and the registrar's business.
    assert client.get(f"/students/{bobs.b01}/edit").status_code == 403
    assert client.post(f"/students/{bobs.b01}/edit", data={
        "display_name": "Hijacked", "email": ""}).status_code == 403
    assert client.get(f"/students/{bobs.b01}/photos").status_code == 403
    assert _student(session_factory, bobs.b01) == ("Bea Bobson", "bea@school.edu", 0)


# -- lists and pages ----------------------------------------------------------------------------

def test_the_students_list_shows_only_the_teachers_rosters(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, bobs: BobsPupils,
) -> None:
    """Was: every teacher saw every student's number, name, email and consent."""
    auth.login("alice")
    page = client.get("/students/").get_data(as_text=True)
    assert "Zoë Ångström" in page
    assert "Bea Bobson" not in page
    assert "bea@school.edu" not in page
    assert "B02" not in client.get("/students/?q=B0").get_data(as_text=True)
    auth.logout()
    auth.login("bob")
    page = client.get("/students/").get_data(as_text=True)
    assert "Bea Bobson" in page
    assert "Zoë" not in page
    auth.logout()
    auth.login("admin")
    page = client.get("/students/").get_data(as_text=True)
    assert "Bea Bobson" in page
    assert "Zoë Ångström" in page


def test_renaming_is_its_own_audited_form(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    s001 = classroom.student_ids[0]
    auth.login("bob")
    assert client.get(f"/students/{s001}/edit").status_code == 404
    auth.logout()
    auth.login("alice")
    assert "Edit name and email" in client.get(f"/students/{s001}").get_data(as_text=True)
    response = client.post(f"/students/{s001}/edit",
                           data={"display_name": "Zoe Angstrom", "email": "zoe@school.edu"})
    assert response.status_code == 302
    assert _student(session_factory, s001) == ("Zoe Angstrom", "zoe@school.edu", 0)
    (entry,) = _actions(session_factory, "student.update")
    assert (entry.actor, entry.target_id) == ("alice", s001)
    assert entry.details["old"] == {"display_name": "Zoë Ångström", "email": None}
    assert entry.details["new"] == {"display_name": "Zoe Angstrom", "email": "zoe@school.edu"}


def test_evidence_of_an_own_session_names_only_visible_students(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, bobs: BobsPupils,
) -> None:
    """Was: any student id in an own session's evidence URL showed that student's name."""
    auth.login("alice")
    own = classroom.session_id
    assert client.get(f"/sessions/{own}/students/{classroom.student_ids[0]}/evidence"
                      ).status_code == 200
    response = client.get(f"/sessions/{own}/students/{bobs.b01}/evidence")
    assert response.status_code == 404
    assert "Bea" not in response.get_data(as_text=True)


# -- cameras ------------------------------------------------------------------------------------

@pytest.fixture
def cameras(session_factory: sessionmaker[Session], people: Any) -> dict[str, int]:
    with session_factory.begin() as session:
        rows = {name: Camera(name=name, source=f"rtsp://user:secret@{name}.lan/live")
                for name in ("room-a", "room-b")}
        session.add_all(rows.values())
        session.flush()
        return {name: camera.id for name, camera in rows.items()}


def _edit_course(client: FlaskClient, course_id: int, camera: str) -> Any:
    return client.post(f"/courses/{course_id}/edit", data={
        "name": "Biology", "timezone": "Europe/Berlin", "late_after_minutes": "10",
        "camera": camera, "face_recognition_enabled": "y",
        "slots-0-weekday": "0", "slots-0-start": "09:00", "slots-0-end": "10:30"})


def _course_camera(factory: sessionmaker[Session], course_id: int) -> int | None:
    with factory() as session:
        course = session.get(Course, course_id)
        assert course is not None
        return course.camera_id


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_teachers_pick_only_cameras_an_admin_made_available_and_never_see_sources(
    client: FlaskClient, auth: AuthActions, classroom: Classroom, people: Any,
    cameras: dict[str, int], session_factory: sessionmaker[Session],
) -> None:
    """Was: any camera could be attached to a teacher's course."""
    auth.login("alice")
    assert _edit_course(client, classroom.course_id, "room-a").status_code == 200  # refused
    assert _course_camera(session_factory, classroom.course_id) is None
    assert "room-a" not in client.get("/courses/new").get_data(as_text=True)
    assert client.post(f"/cameras/{cameras['room-a']}/teachers",
                       data={"teacher": str(people.alice)}).status_code == 403
    auth.logout()
    auth.login("admin")
    response = client.post(f"/cameras/{cameras['room-a']}/teachers",
                           data={"teacher": str(people.alice)})
    assert response.status_code == 302
    (entry,) = _actions(session_factory, "camera.make_available")
    assert entry.details == {"camera": "room-a", "teacher": "alice"}
    assert "rtsp://room-a.lan/live" in client.get("/cameras/").get_data(as_text=True)
    auth.logout()
    auth.login("alice")
    form = client.get(f"/courses/{classroom.course_id}/edit").get_data(as_text=True)
    assert "room-a" in form
    assert "room-b" not in form
    assert _edit_course(client, classroom.course_id, "room-b").status_code == 200  # refused
    assert _edit_course(client, classroom.course_id, "room-a").status_code == 302
    assert _course_camera(session_factory, classroom.course_id) == cameras["room-a"]
    page = client.get("/cameras/").get_data(as_text=True)
    assert "room-a" in page
    assert "room-b" not in page
    for source_part in ("rtsp://", "room-a.lan", "secret", "/live"):
        assert source_part not in page
    # The admin takes it back: her course keeps it, but it is no longer hers to choose anew.
    auth.logout()
    auth.login("admin")
    client.post(f"/cameras/{cameras['room-a']}/teachers/{people.alice}/remove")
    assert _actions(session_factory, "camera.withdraw") != []
    auth.logout()
    auth.login("alice")
    assert _edit_course(client, classroom.course_id, "room-a").status_code == 302  # kept
    assert _edit_course(client, classroom.course_id, "").status_code == 302
    assert _edit_course(client, classroom.course_id, "room-a").status_code == 200  # refused
    assert _course_camera(session_factory, classroom.course_id) is None
