"""The duplicate check's two tiers on real faces: a third photo of an enrolled student filed
under a new number is a look-alike (dlib distance 0.501, between the duplicate threshold 0.35
and the match threshold 0.55), stored only when the enroller confirms a different person."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendance.access import Actor
from attendance.config import Settings
from attendance.db import AuditLog, Course, FacePhoto, Student, User
from attendance.errors import PermissionDenied
from enrollment import EnrollmentResult, Outcome, PhotoUpload, enroll_student
from tests.lfw_faces import CachingEmbedder, LfwFaces

pytestmark = pytest.mark.lfw

BUSH = "George_W_Bush"


def _photo(lfw: LfwFaces, person: str, number: int) -> PhotoUpload:
    return PhotoUpload(f"{person}_{number}.jpg", lfw.jpeg(person, number))


def _enroll(session: Session, settings: Settings, embedder: CachingEmbedder, number: str,
            photos: Sequence[PhotoUpload], **kwargs: object) -> EnrollmentResult:
    return enroll_student(session, settings, [embedder],  # type: ignore[arg-type]
                          student_number=number, display_name=f"Person {number}",
                          consent_by="registrar", photos=photos, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def enrolled(db_session: Session, settings: Settings, lfw: LfwFaces,
             dlib_embedder: CachingEmbedder) -> int:
    """George W. Bush enrolled as S020 from photos 1 and 2."""
    result = _enroll(db_session, settings, dlib_embedder, "S020",
                     [_photo(lfw, BUSH, 1), _photo(lfw, BUSH, 2)])
    assert result.accepted == 2
    assert result.student_id is not None
    return result.student_id


def test_a_third_photo_under_a_new_number_is_a_lookalike(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    enrolled: int,
) -> None:
    result = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 4)],
                     hold_for_confirmation=True)
    (photo,) = result.photos
    assert (photo.outcome, photo.reason) == (Outcome.REJECTED, "lookalike")
    assert "looks like S020 Person S020 (dlib distance 0.50" in photo.message
    assert "match threshold 0.550" in photo.message
    (lookalike,) = result.lookalikes
    assert (lookalike.student_id, lookalike.student_number) == (enrolled, "S020")
    assert 0.35 < lookalike.distance <= 0.55
    with Image.open(io.BytesIO(lookalike.preview)) as preview:  # the new face, small
        assert preview.format == "JPEG"
        assert max(preview.size) <= 192
    assert result.student_id is None
    assert db_session.scalar(select(Student.id).where(Student.student_number == "S021")) is None


def test_other_photos_wait_for_the_confirmation(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    enrolled: int,
) -> None:
    photos = [_photo(lfw, BUSH, 4), _photo(lfw, "Tony_Blair", 1)]
    held = _enroll(db_session, settings, dlib_embedder, "S021", photos,
                   hold_for_confirmation=True)
    assert [p.outcome for p in held.photos] == [Outcome.REJECTED, Outcome.HELD]
    assert held.student_id is None
    # The command line's way: the look-alike is refused, the other photo stored.
    stored = _enroll(db_session, settings, dlib_embedder, "S021", photos)
    assert [p.outcome for p in stored.photos] == [Outcome.REJECTED, Outcome.ACCEPTED]


def test_confirming_a_different_person_stores_the_photo_audited(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    enrolled: int,
) -> None:
    wrong = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 4)],
                    confirmed_lookalikes=frozenset({enrolled + 1000}))
    assert wrong.photos[0].reason == "lookalike"  # a confirmation covers only its student
    result = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 4)],
                     confirmed_lookalikes=frozenset({enrolled}), actor="alice")
    (photo,) = result.photos
    assert photo.outcome is Outcome.ACCEPTED
    assert "(confirmed as a different person)" in photo.message
    entry = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "student.enroll.lookalike_confirmed")).one()
    assert (entry.actor, entry.target_id, entry.details["looks_like"]) == (
        "alice", result.student_id, "S020")


def test_a_duplicate_is_not_a_lookalike(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    enrolled: int,
) -> None:
    """Photo 8 is 0.327 from photo 1: under the duplicate threshold, refused even when the
    enroller confirms a different person; only the override stores it."""
    result = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 8)],
                     confirmed_lookalikes=frozenset({enrolled}))
    assert result.photos[0].reason == "duplicate"
    assert result.lookalikes == ()
    assert "duplicate threshold 0.350" in result.photos[0].message


def test_a_teacher_is_not_told_who_a_stranger_looks_like(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    enrolled: int,
) -> None:
    teacher = User(username="tina", role="teacher", password_hash="x")
    db_session.add(teacher)
    db_session.flush()
    course = Course(code="ART1", name="Art", timezone="UTC", teacher_id=teacher.id)
    db_session.add(course)
    db_session.flush()
    by = Actor(teacher.id)
    result = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 4)],
                     by=by, course_id=course.id, consent_course_ids=[course.id],
                     hold_for_confirmation=True)
    (lookalike,) = result.lookalikes
    assert (lookalike.student_number, lookalike.display_name) == (None, None)
    message = result.photos[0].message
    assert "looks like a student enrolled in another class" in message
    assert "S020" not in message
    confirmed = _enroll(db_session, settings, dlib_embedder, "S021", [_photo(lfw, BUSH, 4)],
                        by=by, course_id=course.id, consent_course_ids=[course.id],
                        confirmed_lookalikes=frozenset({lookalike.student_id}))
    assert confirmed.accepted == 1  # a teacher may confirm a look-alike ...
    with pytest.raises(PermissionDenied):  # ... but never override the duplicate check
        _enroll(db_session, settings, dlib_embedder, "S022", [_photo(lfw, BUSH, 5)],
                by=by, course_id=course.id, consent_course_ids=[course.id],
                allow_duplicate=True)
    assert db_session.scalar(select(func.count()).select_from(FacePhoto)) == 3
