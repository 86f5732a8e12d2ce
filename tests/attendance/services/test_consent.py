"""Consent: history kept, scope per course, withdrawal removes a student from galleries at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import (
    AttendanceRecord,
    AuditLog,
    ClassSession,
    Consent,
    Enrollment,
    FaceEmbedding,
    FacePhoto,
    Sighting,
    Student,
    vector_to_bytes,
)
from attendance.db.consent import LEGACY_CONSENT_BACKFILL_SQL
from attendance.errors import InvalidInput, NotFound
from attendance.matching import load_gallery
from attendance.services.consent import (
    consent_history,
    give_consent,
    has_consent,
    withdraw_consent,
)
from attendance.services.review import confirm_sighting
from attendance.services.review_queue import all_groups
from attendance.worker.recognition import GalleryCache
from attendance.worker.spool import PendingSighting, SightingSpool, new_dedupe_key

from .factories import add_course_with_session

VERSIONS = {"dlib": "v1"}


def _face(session: Session, student: Student, value: float) -> None:
    photo = FacePhoto(student_id=student.id, content_hash=f"{student.id:064d}", width=9,
                      height=9, face_pixels=9, sharpness=9.0, brightness=99.0)
    session.add(photo)
    session.flush()
    session.add(FaceEmbedding(student_id=student.id, photo_id=photo.id, model_name="dlib",
                              model_version="v1", dimension=3,
                              vector=vector_to_bytes(np.full(3, value, np.float32))))
    session.flush()


def _gallery_students(session: Session, ids: list[int], course_id: int | None) -> list[int]:
    return load_gallery(session, ids, VERSIONS, course_id=course_id)["dlib"].students.tolist()


def test_no_consent_means_never_in_a_gallery_and_withdrawal_takes_effect_at_once(
    db_session: Session,
) -> None:
    course, _, (ada, bob) = add_course_with_session(db_session, students=2, consent=False)
    for i, s in enumerate((ada, bob)):
        _face(db_session, s, float(i))
    ids = [ada.id, bob.id]
    assert _gallery_students(db_session, ids, course.id) == []
    assert load_gallery(db_session, None, VERSIONS, active_only=False)["dlib"].students.size == 0
    give_consent(db_session, ada.id, given_by="Ada", notice_version="2", actor="alice")
    give_consent(db_session, bob.id, given_by="Bob's mother", relation="guardian",
                 notice_version="2", actor="alice")
    assert _gallery_students(db_session, ids, course.id) == ids
    withdrawn = withdraw_consent(db_session, ada.id, actor="alice")
    assert [w.withdrawn_by for w in withdrawn] == ["alice"]
    assert _gallery_students(db_session, ids, course.id) == [bob.id]
    assert _gallery_students(db_session, ids, None) == [bob.id]
    assert withdraw_consent(db_session, ada.id, actor="alice") == []  # nothing more to do
    again = give_consent(db_session, ada.id, given_by="Ada", notice_version="3", actor="bob")
    history = consent_history(db_session, ada.id)
    assert [c.id for c in history][0] == again.id
    assert len(history) == 2
    assert [c.active for c in history] == [True, False]
    assert _gallery_students(db_session, ids, course.id) == ids
    actions = db_session.scalars(select(AuditLog.action).where(
        AuditLog.target_id == ada.id).order_by(AuditLog.id)).all()
    assert actions == ["consent.give", "consent.withdraw", "consent.give"]


def test_scoped_consent_covers_only_its_courses(db_session: Session) -> None:
    course, _, (ada,) = add_course_with_session(db_session, code="A1", students=1, consent=False)
    other, _, _ = add_course_with_session(db_session, code="B2", consent=False)
    _face(db_session, ada, 1.0)
    give_consent(db_session, ada.id, given_by="Ada", notice_version="1", actor="cli",
                 course_ids=[other.id])
    assert has_consent(db_session, ada.id, other.id)
    assert not has_consent(db_session, ada.id, course.id)
    assert has_consent(db_session, ada.id)
    assert _gallery_students(db_session, [ada.id], course.id) == []
    assert _gallery_students(db_session, [ada.id], other.id) == [ada.id]
    stored = db_session.scalars(select(Consent)).one()
    assert (stored.all_courses, stored.course_ids, stored.relation) == (False, [other.id],
                                                                         "student")


def test_give_consent_refuses_bad_input(db_session: Session) -> None:
    _, _, (ada,) = add_course_with_session(db_session, students=1, consent=False)
    with pytest.raises(InvalidInput, match="guardian"):
        give_consent(db_session, ada.id, given_by="X", relation="teacher", notice_version="1",
                     actor="a")
    with pytest.raises(InvalidInput, match="name"):
        give_consent(db_session, ada.id, given_by=" ", notice_version="1", actor="a")
    with pytest.raises(InvalidInput, match="at least one course"):
        give_consent(db_session, ada.id, given_by="Ada", notice_version="1", actor="a",
                     course_ids=[])
    with pytest.raises(NotFound):
        give_consent(db_session, ada.id, given_by="Ada", notice_version="1", actor="a",
                     course_ids=[99999])
    with pytest.raises(NotFound):
        give_consent(db_session, 99999, given_by="Ada", notice_version="1", actor="a")
    assert db_session.scalars(select(Consent)).all() == []


def test_worker_gallery_cache_drops_a_withdrawn_student_on_the_next_frame(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        course, class_session, (ada, bob) = add_course_with_session(session, students=2,
                                                                    consent=False)
        for i, s in enumerate((ada, bob)):
            _face(session, s, float(i))
            give_consent(session, s.id, given_by=s.display_name, notice_version="1",
                         actor="cli")
        ids = (course.id, class_session.id, ada.id, bob.id)
    course_id, session_id, ada_id, bob_id = ids
    cache = GalleryCache(VERSIONS)
    with session_factory() as session:
        assert cache.get(session, session_id)["dlib"].students.tolist() == [ada_id, bob_id]
    with session_factory.begin() as session:
        withdraw_consent(session, ada_id, actor="alice")
    with session_factory() as session:
        assert cache.get(session, session_id)["dlib"].students.tolist() == [bob_id]
        assert session.get(ClassSession, session_id) is not None
        rostered = session.scalars(select(Enrollment.student_id).where(
            Enrollment.course_id == course_id)).all()
        assert sorted(rostered) == [ada_id, bob_id]  # still on the roster, just not matched
    assert cache.loads == 2


def test_students_enrolled_before_consent_rows_are_backfilled(db_session: Session) -> None:
    course, _, (ada, bob) = add_course_with_session(db_session, students=2, consent=False)
    ada.consent_given_at, ada.consent_given_by = datetime(2025, 9, 1, tzinfo=UTC), "registrar"
    db_session.flush()
    for _ in range(2):  # idempotent
        db_session.execute(text(LEGACY_CONSENT_BACKFILL_SQL))
    rows = db_session.scalars(select(Consent)).all()
    assert [(r.student_id, r.given_by, r.recorded_by, r.notice_version, r.all_courses)
            for r in rows] == [(ada.id, ada.display_name, "registrar", "legacy", True)]
    assert has_consent(db_session, ada.id, course.id)
    assert not has_consent(db_session, bob.id, course.id)


def _evidence(candidate: int, distance: float) -> dict[str, Any]:
    return {"dlib": {"distance": distance, "threshold": 0.55, "version": "v1",
                     "candidate": candidate, "accepted": distance <= 0.55}}


def test_sightings_spooled_before_a_withdrawal_no_longer_name_the_student(
    session_factory: sessionmaker[Session],
) -> None:
    """The worker matched Ada and spooled the sightings (the database was unreachable); Ada's
    consent is withdrawn before they are written: they are stored as unknown faces, name
    nobody, count for nothing, and cannot be confirmed from the review queue."""
    with session_factory.begin() as session:
        course, class_session, (ada, bob) = add_course_with_session(session, students=2)
        ids = (course.id, class_session.id, ada.id, bob.id)
    course_id, session_id, ada_id, bob_id = ids
    spool = SightingSpool()
    seen = datetime(2024, 3, 4, 8, 5, tzinfo=UTC)
    for student, candidate, distance in ((ada_id, ada_id, 0.3), (None, ada_id, 0.6),
                                         (bob_id, bob_id, 0.3)):
        spool.add(PendingSighting(class_session_id=session_id, student_id=student, seen_at=seen,
                                  box=(10, 60, 60, 10), evidence=_evidence(candidate, distance),
                                  camera_id=None, dedupe_key=new_dedupe_key()))
    with session_factory.begin() as session:
        withdraw_consent(session, ada_id, actor="ada's guardian")

    result = spool.flush(session_factory, min_sightings=1)

    assert (result.written, result.pending) == (3, 0)
    with session_factory() as session:
        sightings = list(session.scalars(select(Sighting).order_by(Sighting.id)))
        assert [s.student_id for s in sightings] == [None, None, bob_id]
        assert [s.evidence["dlib"]["candidate"] for s in sightings] == [None, None, bob_id]
        assert [s.evidence["dlib"]["accepted"] for s in sightings] == [False, False, True]
        records = {r.student_id: r.status for r in session.scalars(select(AttendanceRecord))}
        assert records == {bob_id: "present"}
        assert all_groups(session, course_id) == []
    with session_factory.begin() as session, pytest.raises(InvalidInput, match="consent"):
        confirm_sighting(session, sighting_id=sightings[0].id, student_id=ada_id,
                         actor="teacher", min_sightings=1)
