"""Enrollment under the access policy (``enrollment.permissions``): who may create a student,
onto which roster, who may add photos to whom, and what a taken number tells.

Every photo here counts as one good face and the embedder gives random vectors, so these
tests need no face model; the refusals happen before any photo is looked at.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.config import Settings
from attendance.db import Consent, Course, Enrollment, FacePhoto, Role, Student, User
from attendance.detection import DetectedFace
from attendance.errors import InvalidInput, NotFound, PermissionDenied
from attendance.services.consent import give_consent
from enrollment import (
    AlreadyEnrolled,
    EnrollmentRequest,
    Mode,
    PhotoUpload,
    QualityReport,
    enroll_student,
    prepare_enrollment,
    read_enrollment_context,
    store_enrollment,
)
from enrollment.permissions import NUMBER_TAKEN
from models import FaceInput


class RandomEmbedder:
    name, version, dimension = "dlib", "perm-test", 128

    def __init__(self) -> None:
        self._rng = np.random.default_rng(7)

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        v = self._rng.normal(size=(len(faces), self.dimension)).astype(np.float32)
        unit: NDArray[np.float32] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return unit


#: One for the module, so no two photos ever get the same vector (no false duplicates).
_EMBEDDER = RandomEmbedder()


@pytest.fixture(autouse=True)
def _good_faces(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_good_face(image: np.ndarray, settings: Settings, *, filename: str) -> QualityReport:
        height, width = image.shape[:2]
        face = DetectedFace(box=(0, width, height, 0), landmarks=np.zeros((5, 2), np.float32))
        return QualityReport(face=face, face_pixels=height, sharpness=100.0, brightness=128.0)

    monkeypatch.setattr("enrollment.service.assess_photo", one_good_face)


def _photo(shade: int) -> PhotoUpload:
    buffer = io.BytesIO()
    Image.fromarray(np.full((80, 80, 3), shade, dtype=np.uint8)).save(buffer, format="JPEG")
    return PhotoUpload(f"p{shade}.jpg", buffer.getvalue())


@pytest.fixture
def school(db_session: Session) -> dict[str, Any]:
    users = [User(username=n, role=r.value, password_hash="x")
             for n, r in (("admin", Role.ADMIN), ("alice", Role.TEACHER), ("bob", Role.TEACHER))]
    db_session.add_all(users)
    db_session.flush()
    own = Course(code="A1", name="Alice's", timezone="UTC", teacher_id=users[1].id)
    other = Course(code="B1", name="Bob's", timezone="UTC", teacher_id=users[2].id)
    db_session.add_all([own, other])
    sole = Student(student_number="S-SOLE", display_name="Sole Pupil")
    shared = Student(student_number="S-SHARED", display_name="Shared Pupil")
    bobs = Student(student_number="S-BOB", display_name="Bob's Pupil", email="b@school.edu")
    db_session.add_all([sole, shared, bobs])
    db_session.flush()
    db_session.add_all([Enrollment(course_id=own.id, student_id=sole.id),
                        Enrollment(course_id=own.id, student_id=shared.id),
                        Enrollment(course_id=other.id, student_id=shared.id),
                        Enrollment(course_id=other.id, student_id=bobs.id)])
    for student in (sole, shared, bobs):
        give_consent(db_session, student.id, given_by="x", notice_version="1", actor="test")
    db_session.flush()
    return {"admin": Actor(users[0].id, True), "alice": Actor(users[1].id),
            "bob": Actor(users[2].id), "own": own, "other": other, "sole": sole,
            "shared": shared, "bobs": bobs}


def _enroll(session: Session, settings: Settings, number: str, **kwargs: Any) -> Any:
    kwargs.setdefault("photos", [_photo(100)])
    return enroll_student(session, settings, [_EMBEDDER],  # type: ignore[list-item]
                          student_number=number, consent_by="alice", actor="alice", **kwargs)


def test_a_teacher_enrolls_only_onto_an_own_roster(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    alice, own, other = school["alice"], school["own"], school["other"]
    with pytest.raises(PermissionDenied, match="without putting them on a course"):
        _enroll(db_session, settings, "N1", display_name="New", mode=Mode.NEW, by=alice)
    with pytest.raises(NotFound):
        _enroll(db_session, settings, "N1", display_name="New", mode=Mode.NEW, by=alice,
                course_id=other.id)
    result = _enroll(db_session, settings, "N1", display_name="New", mode=Mode.NEW, by=alice,
                     course_id=own.id, consent_course_ids=[own.id])
    assert (result.created, result.accepted) == (True, 1)
    assert db_session.get(Enrollment, (own.id, result.student_id)) is not None
    consent = db_session.scalars(select(Consent).where(
        Consent.student_id == result.student_id)).one()
    assert (consent.all_courses, consent.course_ids) == (False, [own.id])
    # "All courses" is an admin's to record, also through enrollment.
    with pytest.raises(PermissionDenied, match="all courses"):
        _enroll(db_session, settings, "N2", display_name="New", mode=Mode.NEW, by=alice,
                course_id=own.id, photos=[_photo(150)])


def test_a_taken_number_names_the_student_only_to_who_may_add_photos(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    alice, own = school["alice"], school["own"]
    with pytest.raises(AlreadyEnrolled) as mine:
        _enroll(db_session, settings, "S-SOLE", display_name="X", mode=Mode.NEW, by=alice,
                course_id=own.id)
    assert mine.value.student_id == school["sole"].id
    assert "Sole Pupil" in str(mine.value)
    for number in ("S-SHARED", "S-BOB"):
        with pytest.raises(AlreadyEnrolled) as theirs:
            _enroll(db_session, settings, number, display_name="X", mode=Mode.NEW, by=alice,
                    course_id=own.id)
        assert theirs.value.student_id is None
        assert str(theirs.value) == NUMBER_TAKEN % {"number": number}
    assert db_session.scalars(select(FacePhoto)).all() == []


def test_adding_photos_is_for_who_may_and_never_renames(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    alice, admin = school["alice"], school["admin"]
    with pytest.raises(PermissionDenied, match="add photos"):
        _enroll(db_session, settings, "S-SHARED", mode=Mode.ADD_PHOTOS, by=alice)
    with pytest.raises(NotFound):
        _enroll(db_session, settings, "S-BOB", mode=Mode.ADD_PHOTOS, by=alice)
    with pytest.raises(NotFound):
        _enroll(db_session, settings, "S-NOBODY", mode=Mode.ADD_PHOTOS, by=alice)
    result = _enroll(db_session, settings, "S-SOLE", mode=Mode.ADD_PHOTOS, by=alice,
                     display_name="Renamed", email="new@mail.example")
    assert result.accepted == 1
    # The operator's bulk run adds photos too, and renames nobody either.
    _enroll(db_session, settings, "S-BOB", display_name="Renamed", email="x@y.z",
            photos=[_photo(200)])
    result = _enroll(db_session, settings, "S-SHARED", mode=Mode.ADD_PHOTOS, by=admin,
                     photos=[_photo(50)])
    assert result.accepted == 1
    names = {s.student_number: (s.display_name, s.email)
             for s in db_session.scalars(select(Student))}
    assert names["S-SOLE"] == ("Sole Pupil", None)
    assert names["S-BOB"] == ("Bob's Pupil", "b@school.edu")


def test_photos_need_an_active_consent(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    alice, own = school["alice"], school["own"]
    lone = Student(student_number="S-LONE", display_name="No Consent")
    db_session.add(lone)
    db_session.flush()
    db_session.add(Enrollment(course_id=own.id, student_id=lone.id))
    db_session.flush()
    with pytest.raises(InvalidInput, match="no active consent"):
        _enroll(db_session, settings, "S-LONE", mode=Mode.ADD_PHOTOS, by=alice)


def test_the_write_phase_checks_again(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    """Between reading and writing Bob put Alice's pupil on his roster: her photos are
    refused in the write phase (the check is repeated in the same transaction)."""
    alice, other, sole = school["alice"], school["other"], school["sole"]
    embedders = [_EMBEDDER]
    request = EnrollmentRequest(student_number="S-SOLE", consent_by="alice",
                                photos=[_photo(90)], mode=Mode.ADD_PHOTOS, by=alice)
    context = read_enrollment_context(db_session, settings, embedders,  # type: ignore[arg-type]
                                      request)
    prepared = prepare_enrollment(context, settings, embedders)  # type: ignore[arg-type]
    db_session.add(Enrollment(course_id=other.id, student_id=sole.id))
    db_session.flush()
    with pytest.raises(PermissionDenied):
        store_enrollment(db_session, settings, embedders, prepared)  # type: ignore[arg-type]


class ShadeEmbedder:
    """Photos of one grey level get one vector: the same shade is "the same face"."""

    name, version, dimension = "dlib", "perm-test", 128

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        rows = []
        for face in faces:
            rng = np.random.default_rng(int(face.image.mean()))
            v = rng.normal(size=self.dimension).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.stack(rows)


def test_a_duplicate_warning_names_only_students_the_enroller_may_see(
    db_session: Session, settings: Settings, school: dict[str, Any]
) -> None:
    alice, own = school["alice"], school["own"]
    shade = [ShadeEmbedder()]
    for number, grey in (("S-BOB", 60), ("S-SOLE", 160)):  # their faces, stored by the operator
        enroll_student(db_session, settings, shade, student_number=number,  # type: ignore[arg-type]
                       consent_by="registrar", photos=[_photo(grey)])
    outcomes = {}
    for number, grey in (("N-LIKE-BOB", 60), ("N-LIKE-SOLE", 160)):
        result = enroll_student(
            db_session, settings, shade, student_number=number,  # type: ignore[arg-type]
            display_name="Look Alike", consent_by="alice", actor="alice", mode=Mode.NEW,
            course_id=own.id, consent_course_ids=[own.id], by=alice, photos=[_photo(grey)])
        (outcome,) = result.photos
        assert outcome.reason == "duplicate"
        outcomes[number] = outcome.message
    assert "S-BOB" not in outcomes["N-LIKE-BOB"]
    assert "Bob's Pupil" not in outcomes["N-LIKE-BOB"]
    assert "looks like a student enrolled in another class" in outcomes["N-LIKE-BOB"]
    assert "looks like S-SOLE Sole Pupil" in outcomes["N-LIKE-SOLE"]
