"""The roster gallery cache and the per-face evidence, without models."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import Consent, FaceEmbedding, FacePhoto, Student, vector_to_bytes
from attendance.detection import DetectedFace
from attendance.matching import Decision, Gallery, ModelMatch
from attendance.services.roster import add_to_roster
from attendance.worker.recognition import GalleryCache, Recognizer, evidence_of
from models import FaceInput

from .conftest import make_classroom

FRAME = np.full((48, 64, 3), 120, dtype=np.uint8)

VECTOR = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def test_gallery_is_cached_per_session_and_reloaded_when_the_roster_changes(
    session_factory: sessionmaker[Session],
) -> None:
    room = make_classroom(session_factory, {"Colin_Powell": [VECTOR]}, source="0",
                          model_version="stub")
    cache = GalleryCache({"dlib": "stub"})
    with session_factory() as session:
        first = cache.get(session, room.class_session_id)
        assert cache.get(session, room.class_session_id) is first
    assert cache.loads == 1
    assert list(first["dlib"].students) == [room.students["Colin_Powell"]]
    with session_factory.begin() as session:
        newcomer = Student(student_number="N1", display_name="New")
        session.add(newcomer)
        session.flush()
        session.add(Consent(student_id=newcomer.id, given_by="test", relation="student",
                            notice_version="1", recorded_by="test"))
        photo = FacePhoto(student_id=newcomer.id, content_hash="n", width=1, height=1,
                          face_pixels=1, sharpness=1.0, brightness=1.0)
        session.add(photo)
        session.flush()
        session.add(FaceEmbedding(student_id=newcomer.id, photo_id=photo.id, model_name="dlib",
                                  model_version="stub", dimension=4,
                                  vector=vector_to_bytes(VECTOR)))
        add_to_roster(session, room.course_id, student_ids=[newcomer.id])
    with session_factory() as session:
        second = cache.get(session, room.class_session_id)
    assert cache.loads == 2
    assert len(second["dlib"].students) == 2
    assert cache.cached(room.class_session_id) is second


def test_evidence_holds_each_models_figures_and_survives_an_empty_gallery() -> None:
    matches = {
        "dlib": ModelMatch("dlib", "v1", 0.5, 7, 0.31, 0.7, True),
        "inhouse": ModelMatch("inhouse", "v2", 0.8, None, math.inf, math.inf, False),
    }
    evidence = evidence_of(Decision(None, "both", matches, "inhouse: no match"))
    assert evidence == {
        "dlib": {"distance": 0.31, "threshold": 0.5, "version": "v1", "candidate": 7,
                 "accepted": True},
        "inhouse": {"distance": None, "threshold": 0.8, "version": "v2", "candidate": None,
                    "accepted": False},
    }


class _Stub:
    def __init__(self, name: str, vector: list[float]) -> None:
        self.name, self.version, self.dimension = name, "stub", 2
        self.vector = np.asarray(vector, dtype=np.float32)

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        return np.tile(self.vector, (len(faces), 1))


def _face(_image: NDArray[np.uint8]) -> list[DetectedFace]:
    return [DetectedFace(box=(4, 40, 40, 4), landmarks=np.zeros((5, 2), np.float32))]


@pytest.mark.parametrize(("rule", "expected"), [("both", None), ("either", 7), ("dlib", 7),
                                                ("inhouse", None)])
def test_two_models_are_combined_by_the_fusion_rule(rule: str, expected: int | None) -> None:
    # dlib's embedding lies on student 7's photo; the in-house one is far from everybody.
    embedders = [_Stub("dlib", [0.0, 0.0]), _Stub("inhouse", [3.0, 3.0])]
    galleries = {
        name: Gallery(name, "stub", 2, np.zeros((1, 2), np.float32), np.array([7]))
        for name in ("dlib", "inhouse")
    }
    recognizer = Recognizer(embedders, detector=_face,
                            thresholds={"dlib": 0.5, "inhouse": 0.8}, rule=rule)
    (face,) = recognizer.analyse(FRAME, galleries).faces
    assert face.student_id == expected
    assert face.evidence["dlib"]["accepted"] is True
    assert face.evidence["inhouse"]["accepted"] is False


def test_evidence_of_a_fused_decision_names_the_runner_up_and_its_margin() -> None:
    from attendance.matching import FusedMatch

    matches = {"dlib": ModelMatch("dlib", "v1", 0.55, 7, 0.4, 0.45, True)}
    fused = FusedMatch(7, -6.0, 0.9975, -5.6, -3.78, True, "face_cnn_v2+0123456789",
                       runner_up_id=8, margin=0.5)
    evidence = evidence_of(Decision(None, "fused", matches, "alike", fused))
    assert evidence["fused"] == {
        "distance": -6.0, "p": 0.9975, "threshold": -3.78, "version": "face_cnn_v2+0123456789",
        "candidate": 7, "accepted": True, "runner_up": 8, "margin": pytest.approx(0.4),
        "ambiguous": True}
    lone = FusedMatch(7, -6.0, 0.9975, math.inf, -3.78, True, "f", margin=0.5)
    evidence = evidence_of(Decision(7, "fused", matches, "ok", lone))
    assert evidence["fused"]["runner_up"] is None
    assert evidence["fused"]["margin"] is None
    assert evidence["fused"]["ambiguous"] is False
