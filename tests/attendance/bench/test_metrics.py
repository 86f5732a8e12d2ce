"""Benchmark metrics on constructed cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from attendance.bench.metrics import (
    AttendanceCounts,
    box_iou,
    det_points,
    either_score,
    fnir_at_fpir,
    fused_score,
    match_boxes,
    session_counts,
)


def test_session_counts_recall_and_false_presence() -> None:
    counts = session_counts(attending={1, 2, 3, 4}, roster={1, 2, 3, 4, 5, 6},
                            marked={1, 2, 3, 5})
    assert counts == AttendanceCounts(attending=4, recalled=3, absent=2, false_presence=1)
    assert counts.recall == 0.75
    assert counts.false_presence_rate == 0.5
    total = counts + session_counts(attending={7}, roster={7}, marked={7})
    assert (total.attending, total.recalled, total.absent) == (5, 4, 2)
    assert total.recall == 0.8


def test_session_counts_refuses_attendees_off_the_roster() -> None:
    with pytest.raises(ValueError, match="roster"):
        session_counts(attending={9}, roster={1}, marked=set())


def test_empty_counts_are_nan_not_zero_division() -> None:
    assert math.isnan(AttendanceCounts().recall)
    assert math.isnan(AttendanceCounts().false_presence_rate)


def test_box_iou_and_greedy_matching() -> None:
    a = (0, 10, 10, 0)
    assert box_iou(a, a) == 1.0
    assert box_iou(a, (0, 20, 10, 10)) == 0.0
    assert box_iou(a, (0, 15, 10, 5)) == pytest.approx(50 / 150)
    truth = [(0, 10, 10, 0), (0, 110, 10, 100)]
    found = [(1, 111, 11, 101), (50, 60, 60, 50), (0, 10, 10, 0), (0, 10, 10, 1)]
    assert match_boxes(truth, found) == [1, None, 0, None]


def test_fnir_at_fpir_on_a_known_case() -> None:
    # 100 non-mated scores 1..100; at FPIR 1% one may be accepted: threshold just below 2.
    non_mated = np.arange(1, 101, dtype=float)
    mated = np.array([0.5, 1.0, 1.5, 1.99, 2.0, 3.0, math.inf, 0.1, 0.2, 0.3])
    point = fnir_at_fpir(mated, non_mated, 0.01)
    assert point.fpir == pytest.approx(0.01)
    assert point.fnir == pytest.approx(3 / 10)  # 2.0, 3.0 and inf are missed
    assert point.threshold is not None
    assert 1.99 < point.threshold < 2.0
    assert point.resolvable
    strict = fnir_at_fpir(mated, non_mated, 0.001)  # none may be accepted: below 1
    assert strict.fpir == 0.0
    assert strict.fnir == pytest.approx(6 / 10)
    assert not strict.resolvable


def test_fnir_at_fpir_without_non_mated_searches_is_undefined() -> None:
    point = fnir_at_fpir([0.1], [], 0.01)
    assert point.threshold is None
    assert math.isnan(point.fnir)


def test_fnir_when_every_non_mated_may_be_accepted() -> None:
    point = fnir_at_fpir([0.5, math.inf], [0.2, 0.3], 1.0)
    assert point.threshold == math.inf
    assert point.fnir == 0.5


def test_det_points() -> None:
    thresholds, fpir, fnir = det_points([1.0, 2.0, math.inf], [1.5, 3.0])
    assert thresholds.tolist() == [1.0, 1.5, 2.0, 3.0]
    assert fpir.tolist() == [0.0, 0.5, 0.5, 1.0]
    assert fnir == pytest.approx([2 / 3, 2 / 3, 1 / 3, 1 / 3])
    empty = det_points([], [])
    assert all(len(a) == 0 for a in empty)


def test_fused_score_needs_agreement() -> None:
    candidate, score = fused_score([7, 7], [0.4, 0.4], [0.5, 0.8])
    assert candidate == 7
    assert score == pytest.approx(0.8)
    assert fused_score([7, 8], [0.1, 0.1], [0.5, 0.8]) == (None, math.inf)
    assert fused_score([7], [0.25], [0.5]) == (7, 0.5)
    assert fused_score([None], [math.inf], [0.5]) == (None, math.inf)


def test_either_score_takes_the_best_and_names_nobody_when_two_accept_different_people() -> None:
    assert either_score([7, 7], [1.4, 0.9]) == (7, 0.9)  # the same person: the better score
    assert either_score([7, 8], [1.4, 0.9]) == (8, 0.9)  # only one accepts: it names
    assert either_score([7, 8], [0.8, 0.9]) == (None, 0.8)  # both accept: nobody, still scored
    assert either_score([None, 8], [math.inf, 1.2]) == (8, 1.2)
    assert either_score([None, None], [math.inf, math.inf]) == (None, math.inf)
