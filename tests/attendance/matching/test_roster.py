"""Loading a roster's embeddings from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sqlalchemy.orm import Session

from attendance.db import Consent, FaceEmbedding, FacePhoto, Student, vector_to_bytes
from attendance.matching import load_gallery


def _student(session: Session, number: str, vectors: list[list[float]], *,
             version: str = "v1", active: bool = True) -> Student:
    student = Student(student_number=number, display_name=f"S {number}", active=active)
    session.add(student)
    session.flush()
    session.add(Consent(student_id=student.id, given_by="test", relation="student",
                        notice_version="1", recorded_by="test"))
    for i, vector in enumerate(vectors):
        photo = FacePhoto(student=student, content_hash=f"{number}-{i}".ljust(64, "0"),
                          file_path=None, width=10, height=10, face_pixels=5, sharpness=1.0,
                          brightness=100.0)
        session.add(FaceEmbedding(student=student, photo=photo, model_name="dlib",
                                  model_version=version, dimension=len(vector),
                                  vector=vector_to_bytes(np.asarray(vector))))
    session.flush()
    return student


def test_gallery_holds_every_photo_of_the_roster_only(db_session: Session) -> None:
    a = _student(db_session, "A1", [[1, 0, 0], [0, 1, 0]])
    b = _student(db_session, "B2", [[0, 0, 1]])
    _student(db_session, "C3", [[1, 1, 1]])  # not on the roster
    old = _student(db_session, "D4", [[2, 2, 2]], version="v0")
    gone = _student(db_session, "E5", [[3, 3, 3]], active=False)
    galleries = load_gallery(db_session, [a.id, b.id, old.id, gone.id], {"dlib": "v1"})
    gallery = galleries["dlib"]
    assert gallery.dimension == 3
    assert len(gallery) == 3
    assert sorted(gallery.student_ids.tolist()) == sorted([a.id, a.id, b.id])
    assert gallery.vectors.dtype == np.float32
    everyone = load_gallery(db_session, None, {"dlib": "v1", "inhouse": "x"})
    assert len(everyone["dlib"]) == 4  # A1 x2, B2, C3: not the old version, not inactive
    assert len(everyone["inhouse"]) == 0


def test_students_with_other_versions_only_are_named_in_a_warning(
    db_session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    current = _student(db_session, "A1", [[1, 0, 0]])
    _student(db_session, "A1-old", [[1, 0, 0]], version="v0")
    both = _student(db_session, "B2", [[0, 1, 0]])
    db_session.add(FaceEmbedding(student=both, photo=both.photos[0], model_name="dlib",
                                 model_version="v0", dimension=3,
                                 vector=vector_to_bytes(np.zeros(3))))
    db_session.flush()
    with caplog.at_level(logging.WARNING, logger="attendance.matching.roster"):
        load_gallery(db_session, [current.id, both.id], {"dlib": "v1"})
    assert not caplog.records  # B2 has the current version too
    with caplog.at_level(logging.WARNING, logger="attendance.matching.roster"):
        load_gallery(db_session, None, {"dlib": "v1"})
    [record] = caplog.records
    assert "1 students have dlib embeddings of another version only, none of v1" in (
        record.getMessage())
    assert "attendance embeddings backfill" in record.getMessage()
    # Loaded again (the duplicate check loads a gallery per photo): no repeat ...
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="attendance.matching.roster"):
        load_gallery(db_session, None, {"dlib": "v1"})
    assert not caplog.records
    # ... until another student turns out outdated.
    _student(db_session, "C3-old", [[0, 0, 1]], version="v0")
    with caplog.at_level(logging.WARNING, logger="attendance.matching.roster"):
        load_gallery(db_session, None, {"dlib": "v1"})
    [record] = caplog.records
    assert "2 students have dlib embeddings of another version only" in record.getMessage()


@pytest.fixture(autouse=True)
def _warn_afresh() -> None:
    """Each test's database numbers its students from 1: forget earlier warnings."""
    from attendance.matching.roster import _OUTDATED

    _OUTDATED.forget()
