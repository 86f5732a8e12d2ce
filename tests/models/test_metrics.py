"""Verification maths on synthetic distances with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from models.cnn.metrics import (
    accuracy_at,
    best_threshold,
    fit_logistic,
    kfold_accuracy,
    one_nn_accuracy,
    roc_auc,
    roc_curve,
    tar_at_far,
)


def test_accuracy_at() -> None:
    d = np.array([0.1, 0.2, 0.3, 0.4])
    same = np.array([True, False, True, False])
    assert accuracy_at(d, same, 0.15) == 0.75
    assert accuracy_at(d, same, 0.35) == 0.75
    assert accuracy_at(d, same, 0.05) == 0.5


def test_best_threshold_separable() -> None:
    d = np.array([0.1, 0.2, 0.3, 0.7, 0.8])
    same = np.array([True, True, True, False, False])
    thr, acc = best_threshold(d, same)
    assert acc == 1.0
    assert thr == pytest.approx(0.5)


def test_best_threshold_with_errors() -> None:
    # Cutting after 0.1 or after 0.3 both get 5 of 6 right; ties resolve to the smaller.
    d = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    same = np.array([True, False, True, False, False, False])
    thr, acc = best_threshold(d, same)
    assert acc == pytest.approx(5 / 6)
    assert thr == pytest.approx(0.15)
    # With a third genuine pair at 0.25 the later cut wins: 6 of 7.
    thr, acc = best_threshold(np.append(d, 0.25), np.append(same, True))
    assert acc == pytest.approx(6 / 7)
    assert thr == pytest.approx(0.35)


def test_best_threshold_ties_are_not_split() -> None:
    d = np.array([0.5, 0.5, 0.5, 0.5])
    same = np.array([True, True, False, True])
    thr, acc = best_threshold(d, same)
    assert acc == 0.75
    assert thr > 0.5


def test_kfold_threshold_chosen_on_other_folds() -> None:
    # Folds 0 and 1 are separable at 0.5; fold 2 alone would prefer 0.85, but it is scored
    # with the threshold learnt on folds 0 and 1 (between 0.45 and 0.55 -> 0.5).
    d = np.array([0.4, 0.6, 0.45, 0.55, 0.8, 0.9])
    same = np.array([True, False, True, False, True, False])
    folds = np.array([0, 0, 1, 1, 2, 2])
    result = kfold_accuracy(d, same, folds)
    assert result.thresholds[2] == pytest.approx(0.5)
    assert list(result.accuracies) == [1.0, 1.0, 0.5]
    assert result.mean == pytest.approx(2.5 / 3)
    assert result.std == pytest.approx(np.std([1.0, 1.0, 0.5]))


def test_tar_at_far() -> None:
    # 10 impostors at 0.50..0.95; genuines spread below and above.
    impostors = np.linspace(0.5, 0.95, 10)
    genuines = np.array([0.1, 0.3, 0.52, 0.62, 0.99])
    d = np.concatenate([genuines, impostors])
    same = np.array([True] * 5 + [False] * 10)
    tar, thr = tar_at_far(d, same, 0.1)  # one impostor may be accepted: cut below 0.55
    assert 0.5 < thr < 0.55
    assert tar == pytest.approx(3 / 5)
    tar0, thr0 = tar_at_far(d, same, 0.01)  # none may be accepted: cut below 0.5
    assert thr0 < 0.5
    assert tar0 == pytest.approx(2 / 5)


def test_auc_known_values() -> None:
    same = np.array([True, True, False, False])
    assert roc_auc(np.array([0.1, 0.2, 0.3, 0.4]), same) == pytest.approx(1.0)
    assert roc_auc(np.array([0.4, 0.3, 0.2, 0.1]), same) == pytest.approx(0.0)
    # One of four (genuine, impostor) orderings is wrong -> 0.75.
    assert roc_auc(np.array([0.1, 0.3, 0.2, 0.4]), same) == pytest.approx(0.75)


def test_roc_curve_ends() -> None:
    far, tar, _ = roc_curve(np.array([0.1, 0.2, 0.3]), np.array([True, False, True]))
    assert (far[0], tar[0]) == (0.0, 0.0)
    assert (far[-1], tar[-1]) == (1.0, 1.0)
    assert np.all(np.diff(far) >= 0)


def test_fit_logistic_orders_scores() -> None:
    rng = np.random.default_rng(0)
    same = rng.random(400) < 0.5
    x = np.where(same, 0.3, 0.8)[:, None] + rng.normal(0, 0.1, (400, 1))
    w = fit_logistic(x, same)
    assert w[0] < 0  # larger distance, lower probability of "same"


def test_one_nn_accuracy() -> None:
    gallery = np.array([[0.0, 0.0], [1.0, 1.0]])
    labels = np.array(["a", "b"])
    probes = np.array([[0.1, 0.0], [0.9, 1.0], [0.2, 0.1]])
    assert one_nn_accuracy(gallery, labels, probes, np.array(["a", "b", "b"])) == (
        pytest.approx(2 / 3)
    )
