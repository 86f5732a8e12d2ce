"""The fused rule: one calibrated score per candidate from both models' distances."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from attendance.matching import Decision, Gallery, decide_faces, fuse
from models.fusion_params import FusionParams

# p(same) = sigmoid(-10*d_dlib - 10*d_inhouse + 10): fused distance 10*(d_dlib + d_inhouse) - 10.
PARAMS = FusionParams(coef_dlib=-10.0, coef_inhouse=-10.0, intercept=10.0, fused_threshold=-2.0,
                      dlib_threshold=0.5, inhouse_threshold=0.5, inhouse_weights="w.keras",
                      inhouse_digest="0123456789")
THRESHOLDS = {"dlib": 0.5, "inhouse": 0.5}


def _gallery(name: str, rows: dict[int, float]) -> Gallery:
    """A one-dimensional gallery: student id -> position (distance = |position - face|)."""
    ids = np.asarray(list(rows), dtype=np.int64)
    vectors = np.asarray([[v] for v in rows.values()], dtype=np.float32)
    return Gallery(name, "v", 1, vectors, ids)


def _decide(dlib: dict[int, float], inhouse: dict[int, float], face: tuple[float, float],
            params: FusionParams = PARAMS, rule: str = "fused") -> Decision:
    galleries = {"dlib": _gallery("dlib", dlib), "inhouse": _gallery("inhouse", inhouse)}
    embeddings = {"dlib": np.asarray([[face[0]]], np.float32),
                  "inhouse": np.asarray([[face[1]]], np.float32)}
    return decide_faces(galleries, embeddings, THRESHOLDS, rule, params)[0]


def test_a_good_fused_score_accepts_although_one_model_alone_would_not() -> None:
    # dlib 0.1, in-house 0.6 (beyond its own 0.5): fused 10*0.7-10 = -3 <= -2.
    decision = _decide({1: 0.0}, {1: 0.0}, (0.1, 0.6))
    assert decision.student_id == 1
    assert decision.rule == "fused"
    assert not decision.matches["inhouse"].accepted
    assert decision.fused is not None
    assert decision.fused.distance == pytest.approx(-3.0, abs=1e-4)
    assert decision.fused.probability == pytest.approx(1 / (1 + math.exp(-3.0)), abs=1e-4)
    assert decision.fused.accepted


def test_under_fused_score_a_poor_fused_score_rejects_although_each_model_accepts() -> None:
    # Each 0.45 is within its model's 0.5, but fused 10*0.9-10 = -1 > -2.
    decision = _decide({1: 0.0}, {1: 0.0}, (0.45, 0.45), rule="fused_score")
    assert decision.student_id is None
    assert decision.rule == "fused_score"
    assert decision.fused is not None
    assert not decision.fused.accepted
    assert "fused score too low" in decision.reason


def test_under_fused_dlibs_own_acceptance_stands_against_a_poor_fused_score() -> None:
    # The same face: dlib's 0.45 <= 0.5 accepts, the fused -1 does not; in-house 0.9 (far).
    decision = _decide({1: 0.0}, {1: 0.0}, (0.45, 0.9))
    assert decision.student_id == 1
    assert decision.rule == "fused"
    assert decision.fused is not None
    assert not decision.fused.accepted
    assert decision.reason.startswith("dlib accepts at its threshold")


def test_under_fused_the_in_house_model_alone_still_cannot_accept() -> None:
    # In-house 0.05 is well within its 0.5, dlib 0.6 is not, fused 10*0.65-10 = -3.5 <= -2
    # accepts; with dlib 0.95 the fused score (-0.0) does not, and nothing else may.
    assert _decide({1: 0.0}, {1: 0.0}, (0.6, 0.05)).student_id == 1
    decision = _decide({1: 0.0}, {1: 0.0}, (0.95, 0.05))
    assert decision.matches["inhouse"].accepted
    assert decision.student_id is None


def test_models_naming_different_students_are_settled_by_the_fused_score() -> None:
    # dlib's nearest is 1 (0.05 vs 0.2), the in-house model's is 2 (0.3 vs 0.0): fused 1:
    # 10*(0.05+0.3)-10 = -6.5, 2: 10*(0.2+0.0)-10 = -8 -> student 2, runner-up 1.
    decision = _decide({1: 0.0, 2: 0.25}, {1: 0.0, 2: 0.3}, (0.05, 0.3), rule="fused_score")
    assert decision.matches["dlib"].student_id == 1
    assert decision.matches["inhouse"].student_id == 2
    assert decision.student_id == 2
    assert decision.fused is not None
    assert decision.fused.runner_up_distance == pytest.approx(-6.5, abs=1e-4)


def test_under_fused_dlib_and_the_fused_score_accepting_different_students_leave_it_unknown(
) -> None:
    # The face above: dlib accepts 1 at 0.05, the fused score accepts 2: no guess.
    decision = _decide({1: 0.0, 2: 0.25}, {1: 0.0, 2: 0.3}, (0.05, 0.3))
    assert decision.student_id is None
    assert decision.fused is not None
    assert decision.fused.student_id == 2
    assert decision.fused.accepted
    assert "different students" in decision.reason


def test_a_student_with_one_model_only_is_judged_by_that_models_threshold() -> None:
    # Student 3 has no in-house embedding: dlib 0.1 <= 0.5 accepts them.
    decision = _decide({1: 5.0, 3: 0.0}, {1: 5.0}, (0.1, 0.0))
    assert decision.student_id == 3
    assert "only dlib" in decision.reason
    # ... and beyond dlib's threshold they are not.
    assert _decide({1: 5.0, 3: 0.0}, {1: 5.0}, (0.7, 0.0)).student_id is None


def test_a_fused_match_and_a_different_one_model_match_leave_the_face_unknown() -> None:
    # Student 1 fused -8 (accepted); student 3, in-house only, at 0.1 (accepted): conflict.
    decision = _decide({1: 0.0}, {1: 0.0, 3: 0.1}, (0.1, 0.1))
    assert decision.student_id is None
    assert "different students" in decision.reason


def test_without_any_student_of_both_models_there_is_no_fused_score() -> None:
    decision = _decide({3: 0.0}, {4: 9.0}, (2.0, 0.0))
    assert decision.fused is not None
    assert decision.fused.student_id is None
    assert math.isinf(decision.fused.distance)
    assert decision.student_id is None


def test_a_single_model_decides_alone_under_the_fused_rule() -> None:
    galleries = {"dlib": _gallery("dlib", {1: 0.0})}
    decision = decide_faces(galleries, {"dlib": np.asarray([[0.1]], np.float32)}, THRESHOLDS,
                            "fused")[0]
    assert decision.student_id == 1
    assert decision.fused is None


def test_the_fused_rule_needs_its_parameters_and_every_distance() -> None:
    galleries = {"dlib": _gallery("dlib", {1: 0.0}), "inhouse": _gallery("inhouse", {1: 0.0})}
    embeddings = {"dlib": np.zeros((1, 1), np.float32), "inhouse": np.zeros((1, 1), np.float32)}
    with pytest.raises(ValueError, match="fusion parameters"):
        decide_faces(galleries, embeddings, THRESHOLDS, "fused")
    matches = decide_faces(galleries, embeddings, THRESHOLDS, "both")[0].matches
    with pytest.raises(ValueError, match="decide_faces"):
        fuse(matches, "fused")


def test_empty_galleries_leave_every_face_unknown() -> None:
    galleries = {"dlib": Gallery.empty("dlib", "v", 1),
                 "inhouse": Gallery.empty("inhouse", "v", 1)}
    embeddings = {"dlib": np.zeros((2, 1), np.float32), "inhouse": np.zeros((2, 1), np.float32)}
    decisions = decide_faces(galleries, embeddings, THRESHOLDS, "fused", PARAMS)
    assert [d.student_id for d in decisions] == [None, None]


def test_a_fit_on_normalised_scores_fuses_the_in_house_score_against_its_cohort() -> None:
    from models.cnn.cohort import Cohort, CohortStats, asnorm

    # A one-dimensional cohort spread evenly over [-5, 5]: a face near 0 is in a crowd, one
    # near 4.5 is at its edge.
    cohort = Cohort(np.linspace(-5, 5, 201, dtype=np.float32)[:, None], top_k=20)
    params = dataclasses.replace(PARAMS, inhouse_cohort="w.cohort.npz", cohort=cohort,
                                 coef_inhouse=-1.0)
    galleries = {"dlib": _gallery("dlib", {1: 0.0, 2: 0.0}),
                 "inhouse": _gallery("inhouse", {1: 0.0, 2: 4.5})}
    faces = np.asarray([[0.3], [4.2]], np.float32)
    embeddings = {"dlib": np.asarray([[0.1], [0.1]], np.float32), "inhouse": faces}
    decisions = decide_faces(galleries, embeddings, THRESHOLDS, "fused_score", params)
    for face, decision in zip(faces, decisions, strict=True):
        assert decision.fused is not None
        # Expected: every student's normalised in-house score, the best one fused with dlib.
        f = cohort.stats(face[None])
        scores = {}
        for student, position in ((1, 0.0), (2, 4.5)):
            p = cohort.stats(np.asarray([[position]]))
            scores[student] = asnorm(np.asarray([abs(face[0] - position)]),
                                     CohortStats(f.mean, f.std), p)[0]
        best = min(scores, key=scores.__getitem__)
        assert decision.fused.student_id == best
        assert decision.fused.distance == pytest.approx(
            float(params.fused_distance(0.1, scores[best])), abs=1e-3)
        # Each model's own match stays a raw distance (what its threshold is set on).
        assert decision.matches["inhouse"].distance == pytest.approx(
            min(abs(face[0] - 0.0), abs(face[0] - 4.5)), abs=1e-5)


def test_a_fit_on_normalised_scores_without_its_cohort_is_refused() -> None:
    params = dataclasses.replace(PARAMS, inhouse_cohort="w.cohort.npz")
    with pytest.raises(ValueError, match="no cohort"):
        _decide({1: 0.0}, {1: 0.0}, (0.1, 0.1), params)


def test_a_face_about_as_like_two_students_is_left_unknown_under_the_margin() -> None:
    # Students 1 and 2 at 0.0 and 0.04 in both models; the face at (0.0, 0.0): fused 1: -10,
    # 2: 10*0.08-10 = -9.2, so the runner-up is 0.8 behind.
    dlib, inhouse = {1: 0.0, 2: 0.04}, {1: 0.0, 2: 0.04}
    without = _decide(dlib, inhouse, (0.0, 0.0))
    assert without.student_id == 1  # no margin (the default): the nearest is accepted
    assert without.fused is not None
    assert without.fused.runner_up_id == 2
    assert without.fused.runner_up_distance - without.fused.distance == pytest.approx(0.8, abs=1e-4)
    assert not without.fused.ambiguous
    for rule in ("fused", "fused_score"):
        strict = _decide(dlib, inhouse, (0.0, 0.0), dataclasses.replace(PARAMS, fused_margin=1.0),
                         rule=rule)
        assert strict.student_id is None  # dlib's own acceptance of 1 does not stand either
        assert strict.fused is not None
        assert strict.fused.ambiguous
        assert strict.reason.startswith("the fused score cannot tell two students apart")
    # A margin the runner-up clears decides as before.
    assert _decide(dlib, inhouse, (0.0, 0.0),
                   dataclasses.replace(PARAMS, fused_margin=0.5)).student_id == 1


def test_the_margin_leaves_a_face_nobody_accepts_as_it_was() -> None:
    # Both students far (fused 10*1.8-10 = 8 and 8.8): unknown for being too far, not alike.
    params = dataclasses.replace(PARAMS, fused_margin=1.0)
    decision = _decide({1: 0.0, 2: 0.04}, {1: 0.0, 2: 0.04}, (0.9, 0.9), params)
    assert decision.student_id is None
    assert decision.reason.startswith("fused score too low")


def test_a_lone_candidate_is_never_ambiguous() -> None:
    params = dataclasses.replace(PARAMS, fused_margin=5.0)
    decision = _decide({1: 0.0}, {1: 0.0}, (0.0, 0.0), params)
    assert decision.student_id == 1
    assert decision.fused is not None
    assert decision.fused.runner_up_id is None
    assert not decision.fused.ambiguous
