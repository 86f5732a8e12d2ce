"""Combining per-model verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from attendance.matching import Gallery, ModelMatch, decide_faces, fuse


def _m(name: str, student: int | None, accepted: bool) -> ModelMatch:
    return ModelMatch(name, "v", 0.5, student, 0.3 if accepted else 0.7, math.inf, accepted)


@pytest.mark.parametrize(
    ("rule", "dlib", "inhouse", "expected"),
    [
        ("both", (1, True), (1, True), 1),
        ("both", (1, True), (1, False), None),
        ("both", (1, True), (2, True), None),
        ("either", (1, True), (2, False), 1),
        ("either", (1, False), (2, True), 2),
        ("either", (1, True), (2, True), None),
        ("either", (1, False), (1, False), None),
        ("dlib", (1, True), (2, True), 1),
        ("dlib", (1, False), (2, True), None),
        ("inhouse", (1, True), (2, True), 2),
    ],
)
def test_rules(rule: str, dlib: tuple[int, bool], inhouse: tuple[int, bool],
               expected: int | None) -> None:
    decision = fuse({"dlib": _m("dlib", *dlib), "inhouse": _m("inhouse", *inhouse)}, rule)
    assert decision.student_id == expected
    assert decision.reason


@pytest.mark.parametrize("rule", ["both", "either", "dlib", "inhouse"])
def test_a_single_model_decides_alone(rule: str) -> None:
    assert fuse({"dlib": _m("dlib", 4, True)}, rule).student_id == 4
    assert fuse({"dlib": _m("dlib", 4, False)}, rule).student_id is None


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="fusion rule"):
        fuse({"dlib": _m("dlib", 1, True)}, "majority")


def test_decide_faces_runs_every_model() -> None:
    galleries = {
        "dlib": Gallery("dlib", "v", 2, np.asarray([[0, 0], [3, 3]], np.float32),
                        np.asarray([1, 2])),
        "inhouse": Gallery("inhouse", "w", 1, np.asarray([[0], [3]], np.float32),
                           np.asarray([1, 2])),
    }
    embeddings = {"dlib": np.asarray([[0.1, 0], [3, 3.1], [9, 9]], np.float32),
                  "inhouse": np.asarray([[0.1], [9.0], [9.0]], np.float32)}
    decisions = decide_faces(galleries, embeddings, {"dlib": 0.5, "inhouse": 0.5}, "both")
    assert [d.student_id for d in decisions] == [1, None, None]
    assert decisions[1].matches["dlib"].decision == 2
