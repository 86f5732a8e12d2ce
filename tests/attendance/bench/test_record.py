"""The decision and record stage on constructed embeddings with known answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from attendance.bench.observe import ObservedFace, ObservedFrame
from attendance.bench.plan import ClassroomPlan, CoursePlan, SessionPlan
from attendance.bench.record import CONFIGURATIONS, record_configuration
from attendance.bench.scenes import PlacedFace
from attendance.config import Settings
from attendance.db import Consent, FaceEmbedding, FacePhoto, Student, vector_to_bytes

VERSION = "v-test"


def _unit(index: int) -> np.ndarray:
    vector = np.zeros(128, np.float32)
    vector[index] = 1.0
    return vector


def _enrol(factory: sessionmaker[Session], names: list[str]) -> dict[str, int]:
    ids = {}
    with factory.begin() as session:
        for i, name in enumerate(names):
            student = Student(student_number=name, display_name=name)
            photo = FacePhoto(student=student, content_hash=f"{i:064d}", file_path=None,
                              width=250, height=250, face_pixels=100, sharpness=50.0,
                              brightness=120.0)
            session.add_all([student, photo, FaceEmbedding(
                student=student, photo=photo, model_name="dlib", model_version=VERSION,
                dimension=128, vector=vector_to_bytes(_unit(i)))])
            session.flush()
            ids[name] = student.id
            session.add(Consent(student_id=student.id, given_by=name, relation="student",
                                notice_version="1", recorded_by="test"))
    return ids


def _frame(index: int, faces: list[tuple[str | None, np.ndarray]]) -> ObservedFrame:
    observed, vectors = [], []
    for i, (who, vector) in enumerate(faces):
        box = (10, 60 * i + 50, 60, 60 * i)
        observed.append(ObservedFace(box, PlacedFace(who, box) if who else None))
        vectors.append(vector)
    truth = tuple(f.truth for f in observed if f.truth is not None)
    return ObservedFrame(0, index, truth, tuple(observed), {"dlib": np.stack(vectors)})


def test_recall_false_presence_and_wrong_person(
    session_factory: sessionmaker[Session], settings: Settings, tmp_path: Path
) -> None:
    ids = _enrol(session_factory, ["A", "B", "C"])
    plan = ClassroomPlan(0, (CoursePlan(0, ("A", "B", "C"), {}),),
                         (SessionPlan(0, 0, ("A", "B"), ("C",), ("W",), ()),))
    near_c = _unit(2) * 0.9 + _unit(5) * 0.1  # a walk-in who looks like C (distance 0.14)
    frames = [
        _frame(0, [("A", _unit(0)), ("B", _unit(1)), ("W", near_c)]),
        _frame(1, [("A", _unit(0)), ("W", near_c), (None, _unit(7))]),
    ]
    dlib = next(c for c in CONFIGURATIONS if c.name == "dlib")
    outcome = record_configuration(session_factory, settings, dlib, plan, frames, ids,
                                   {"dlib": VERSION}, datetime(2026, 1, 5, 9, tzinfo=UTC))
    counts = outcome.counts
    assert (counts.attending, counts.recalled, counts.absent, counts.false_presence) == (
        2, 1, 1, 1)
    assert outcome.missed_undetected == 1  # B was seen once, min_sightings is 2
    assert outcome.missed_unidentified == 0
    assert outcome.wrong_walk_in == 2
    assert outcome.wrong_roster == 0
    assert outcome.wrong_false_detection == 0
    assert outcome.correct == 3
    assert outcome.false_presences == [(0, "C", "W")]


def test_the_missed_students_are_named_per_session(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ids = _enrol(session_factory, ["A", "B", "C"])
    plan = ClassroomPlan(0, (CoursePlan(0, ("A", "B", "C"), {}),),
                         (SessionPlan(0, 0, ("A", "B", "C"), (), (), ()),))
    frames = [_frame(i, [("A", _unit(0)), ("B", _unit(1)), ("C", _unit(9))]) for i in range(2)]
    dlib = next(c for c in CONFIGURATIONS if c.name == "dlib")
    outcome = record_configuration(session_factory, settings, dlib, plan, frames, ids,
                                   {"dlib": VERSION}, datetime(2026, 1, 5, 9, tzinfo=UTC))
    assert outcome.counts.recalled == 2
    assert outcome.missed == [(0, "C")]  # C's faces look like nobody enrolled
