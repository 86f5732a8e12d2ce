"""Seated faces inherit their identity only from tracks confirmed by full embeddings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from attendance.detection import DetectedFace, detect_faces
from attendance.matching import Gallery
from attendance.worker.recognition import Recognizer
from attendance.worker.tracking import (
    LOOK_SIDE,
    FaceTracker,
    TrackingPolicy,
    appearance,
    box_iou,
    inherited_from,
)
from models import Box, FaceInput
from tests.lfw_faces import LfwFaces

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
STEP = timedelta(seconds=5)
POLICY = TrackingPolicy(min_iou=0.5, reverify_frames=3, confirmations=2, max_gap_s=15.0)


def _evidence(student: int | None, *, accepted: bool = True, models: Sequence[str] = ("dlib",),
              ) -> dict[str, Any]:
    return {m: {"distance": 0.3, "threshold": 0.55, "version": "v", "candidate": student,
                "accepted": accepted} for m in models}


def _seat(k: int, dx: int = 0) -> Box:
    """A 100 px face in seat ``k`` (seats 200 px apart), shifted ``dx`` px to the right."""
    return (100, 200 * k + 150 + dx, 200, 200 * k + 50 + dx)


def _frame(tracker: FaceTracker, n: int, boxes: list[Box],
           decide: dict[int, int | None], galleries: object = None) -> list[bool]:
    """One frame: carry, then give every face not carried the decision ``decide[seat]``;
    returns which faces inherited."""
    carried = tracker.carry(T0 + n * STEP, boxes, galleries)
    results = [(c.student_id, c.evidence) if c is not None else
               (decide[i], _evidence(decide[i])) for i, c in enumerate(carried)]
    tracker.record(results)
    return [c is not None for c in carried]


def test_a_face_inherits_only_after_two_confirming_frames_and_says_from_where() -> None:
    tracker = FaceTracker(POLICY)
    assert _frame(tracker, 0, [_seat(0)], {0: 7}) == [False]
    assert _frame(tracker, 1, [_seat(0, dx=3)], {0: 7}) == [False]
    carried = tracker.carry(T0 + 2 * STEP, [_seat(0, dx=5)])
    assert carried[0] is not None
    assert carried[0].student_id == 7
    origin = inherited_from(carried[0].evidence)
    assert origin is not None
    assert origin.from_seen_at == T0 + STEP
    assert origin.from_box == _seat(0, dx=3)
    assert origin.previous_box == _seat(0, dx=3)
    assert origin.frames_since_embedding == 1
    assert origin.iou == pytest.approx(box_iou(_seat(0, dx=5), _seat(0, dx=3)), abs=1e-3)
    # The model figures are the confirming embedding's, untouched.
    assert carried[0].evidence["dlib"]["distance"] == 0.3
    assert inherited_from(_evidence(7)) is None


def test_a_single_match_is_never_carried() -> None:
    tracker = FaceTracker(POLICY)
    _frame(tracker, 0, [_seat(0)], {0: 7})
    _frame(tracker, 1, [_seat(0)], {0: 8})  # another student: the track starts afresh
    assert _frame(tracker, 2, [_seat(0)], {0: 8}) == [False]
    assert _frame(tracker, 3, [_seat(0)], {0: 8}) == [True]


@pytest.mark.parametrize("evidence", [
    _evidence(7, accepted=False),                        # nearest, but not accepted
    {**_evidence(7), **_evidence(7, models=("inhouse",), accepted=False)},  # models disagree
    {**_evidence(7), **_evidence(9, models=("inhouse",))},  # models name two students
])
def test_unsure_matches_are_never_carried(evidence: dict[str, Any]) -> None:
    tracker = FaceTracker(POLICY)
    for n in range(4):
        carried = tracker.carry(T0 + n * STEP, [_seat(0)])
        assert carried == [None]
        tracker.record([(7, evidence)])


def test_unknown_faces_are_always_embedded() -> None:
    tracker = FaceTracker(POLICY)
    assert [_frame(tracker, n, [_seat(0)], {0: None}) for n in range(4)] == [[False]] * 4


def test_a_moving_face_is_embedded_again() -> None:
    tracker = FaceTracker(POLICY)
    _frame(tracker, 0, [_seat(0)], {0: 7})
    _frame(tracker, 1, [_seat(0)], {0: 7})
    # 30 px per frame: each frame overlaps the previous one, but not where it was embedded.
    assert _frame(tracker, 2, [_seat(0, dx=30)], {0: 7}) == [True]
    assert _frame(tracker, 3, [_seat(0, dx=60)], {0: 7}) == [False]
    # ... and a box in another seat is another face.
    assert _frame(tracker, 4, [_seat(2)], {0: 7}) == [False]


def test_a_gap_between_frames_or_a_new_gallery_drops_every_track() -> None:
    tracker = FaceTracker(POLICY)
    roster = object()
    _frame(tracker, 0, [_seat(0)], {0: 7}, roster)
    _frame(tracker, 1, [_seat(0)], {0: 7}, roster)
    assert _frame(tracker, 5, [_seat(0)], {0: 7}, roster) == [False]  # 20 s later
    _frame(tracker, 6, [_seat(0)], {0: 7}, roster)
    assert _frame(tracker, 7, [_seat(0)], {0: 7}, object()) == [False]  # roster changed


@pytest.mark.parametrize("faces", [1, 8, 30])
def test_reverification_is_spread_evenly_and_never_late(faces: int) -> None:
    tracker = FaceTracker(POLICY)
    boxes = [_seat(k) for k in range(faces)]
    decide = {k: 10 + k for k in range(faces)}
    inherited = [_frame(tracker, n, boxes, decide) for n in range(20)]
    embedded = [faces - sum(frame) for frame in inherited]
    assert embedded[:2] == [faces, faces]
    share = faces / POLICY.reverify_frames
    assert set(embedded[2:]) <= {math.floor(share), math.ceil(share)}
    assert sum(embedded[2:]) == pytest.approx(18 * share, abs=1)
    for k in range(faces):  # no face goes reverify_frames frames without an embedding
        run = 0
        for frame in inherited:
            run = run + 1 if frame[k] else 0
            assert run < POLICY.reverify_frames
    assert (tracker.embedded, tracker.inherited) == (sum(embedded), 20 * faces - sum(embedded))


def test_a_reverification_naming_someone_else_starts_afresh() -> None:
    tracker = FaceTracker(TrackingPolicy(reverify_frames=1, confirmations=2))
    _frame(tracker, 0, [_seat(0)], {0: 7})
    _frame(tracker, 1, [_seat(0)], {0: 7})
    # reverify_frames = 1: every frame is embedded, and a change of student is seen at once.
    assert _frame(tracker, 2, [_seat(0)], {0: 8}) == [False]
    assert _frame(tracker, 3, [_seat(0)], {0: 8}) == [False]


def _look(seed: int) -> NDArray[np.float32]:
    v = np.random.default_rng(seed).standard_normal(LOOK_SIDE * LOOK_SIDE).astype(np.float32)
    return (v - v.mean()) / np.linalg.norm(v - v.mean())


def test_a_face_that_looks_different_is_embedded_again() -> None:
    """Someone else sitting down in the seat (or a turned head) changes the look."""
    tracker = FaceTracker(POLICY)
    student, stranger = _look(1), _look(2)
    nudged = (student + 0.05 * _look(3)) / np.linalg.norm(student + 0.05 * _look(3))
    for n, look in enumerate([student, student]):
        tracker.carry(T0 + n * STEP, [_seat(0)], None, [look])
        tracker.record([(7, _evidence(7))])
    assert tracker.carry(T0 + 2 * STEP, [_seat(0)], None, [nudged]) != [None]
    tracker.record([(7, _evidence(7))])
    assert tracker.carry(T0 + 3 * STEP, [_seat(0)], None, [stranger]) == [None]
    with pytest.raises(ValueError, match="one look per box"):
        tracker.carry(T0, [_seat(0)], None, [])


def test_appearance_tells_a_moved_face_from_another_person(lfw: LfwFaces) -> None:
    def face(image: NDArray[np.uint8], shift: int = 0, gain: float = 1.0) -> NDArray[np.float32]:
        canvas = np.full((300, 300, 3), 100, np.uint8)
        canvas[10 + shift:260 + shift, 20 + shift:270 + shift] = np.clip(
            image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        found = detect_faces(canvas)
        assert len(found) == 1
        return appearance(canvas, found[0])

    powell = lfw.rgb("Colin_Powell", 1)
    still, moved = face(powell), face(powell, shift=6, gain=1.1)
    assert float(still @ still) == pytest.approx(1.0, abs=1e-5)
    assert float(still @ moved) > POLICY.min_similarity
    assert float(still @ face(lfw.rgb("Ariel_Sharon", 1), shift=6)) < POLICY.min_similarity


def test_record_needs_the_preceding_carry() -> None:
    tracker = FaceTracker(POLICY)
    with pytest.raises(ValueError, match="one result per box"):
        tracker.record([(None, {})])


class _CountingEmbedder:
    """One-hot-ish vectors from the face's seat, so each seat matches its own student."""

    name, version, dimension = "dlib", "v", 4

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        self.calls += len(faces)
        return np.asarray([np.eye(4, dtype=np.float32)[(f.box[3] - 50) // 200] for f in faces])


def test_the_recognizer_embeds_only_unresolved_faces() -> None:
    seats = [_seat(k) for k in range(4)]
    landmarks = np.zeros((5, 2), np.float32)  # degenerate: the look falls back to the box
    embedder = _CountingEmbedder()
    recognizer = Recognizer([embedder], thresholds={"dlib": 0.5}, rule="dlib",
                            detector=lambda _rgb: [DetectedFace(b, landmarks) for b in seats])
    galleries = {"dlib": Gallery("dlib", "v", 4, np.eye(4, dtype=np.float32),
                                 np.arange(1, 5, dtype=np.int64))}
    tracker = FaceTracker(POLICY)
    frame = np.random.default_rng(0).integers(0, 256, (300, 900, 3), dtype=np.uint8)
    analyses = [recognizer.analyse(frame, galleries, tracker=tracker, seen_at=T0 + n * STEP)
                for n in range(4)]
    assert [a.embedded for a in analyses] == [4, 4, 1, 1]  # then 4 / 3 per frame on average
    assert embedder.calls == 10
    last = analyses[-1]
    assert [f.student_id for f in last.faces] == [1, 2, 3, 4]
    assert sum(f.inherited for f in last.faces) == 3
    for face in last.faces:
        assert (inherited_from(face.evidence) is not None) == face.inherited
    # Without a tracker every face is embedded, as before.
    assert recognizer.analyse(frame, galleries).embedded == 4
