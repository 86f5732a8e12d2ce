"""Verification and identification maths on distances, in plain numpy.

Conventions: ``distances`` are dissimilarities (lower = more alike); a pair is accepted as
"same person" when ``distance <= threshold``. ``same`` is the boolean ground truth per pair;
``folds`` the 0-based fold of each pair. FAR is the share of different-person pairs accepted,
TAR the share of same-person pairs accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def accuracy_at(distances: FloatArray, same: BoolArray, threshold: float) -> float:
    """Share of pairs classified correctly when accepting ``distance <= threshold``."""
    return float(np.mean((distances <= threshold) == same))


def best_threshold(distances: FloatArray, same: BoolArray) -> tuple[float, float]:
    """The accuracy-maximising threshold and its accuracy.

    Candidates are midpoints between consecutive sorted distances (plus both ends), so the
    threshold is well defined between two observed values. Ties resolve to the smallest.
    """
    d = np.asarray(distances, dtype=np.float64)
    order = np.argsort(d, kind="stable")
    ds, ss = d[order], np.asarray(same, dtype=bool)[order]
    # Accepting the first k sorted pairs: correct = same among them + different after them.
    accepted_same = np.concatenate([[0], np.cumsum(ss)])
    rejected_diff = np.concatenate([np.cumsum((~ss)[::-1])[::-1], [0]])
    correct = accepted_same + rejected_diff
    # Only cut between distinct values (a threshold cannot split tied distances).
    valid = np.ones(len(ds) + 1, dtype=bool)
    valid[1:-1] = ds[1:] > ds[:-1]
    k = int(np.argmax(np.where(valid, correct, -1)))
    if k == 0:
        threshold = ds[0] - 1e-6 if len(ds) else 0.0
    elif k == len(ds):
        threshold = ds[-1] + 1e-6
    else:
        threshold = (ds[k - 1] + ds[k]) / 2.0
    return float(threshold), float(correct[k] / max(len(ds), 1))


@dataclass(frozen=True)
class FoldResult:
    """Per-fold accuracies and the thresholds chosen on the other folds."""

    accuracies: FloatArray
    thresholds: FloatArray

    @property
    def mean(self) -> float:
        """Mean accuracy over folds."""
        return float(np.mean(self.accuracies))

    @property
    def std(self) -> float:
        """Standard deviation of the fold accuracies (population, as in the LFW literature)."""
        return float(np.std(self.accuracies))


def kfold_accuracy(distances: FloatArray, same: BoolArray, folds: NDArray[np.int_]) -> FoldResult:
    """LFW View 2: each fold is scored with the threshold best on the union of the others."""
    fold_ids = np.unique(folds)
    accs, thrs = [], []
    for f in fold_ids:
        test = folds == f
        thr, _ = best_threshold(distances[~test], same[~test])
        thrs.append(thr)
        accs.append(accuracy_at(distances[test], same[test], thr))
    return FoldResult(np.array(accs), np.array(thrs))


def roc_curve(distances: FloatArray, same: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(FAR, TAR, threshold) at every distinct distance, FAR ascending, starting at (0, 0)."""
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    thresholds = np.unique(d)
    n_pos, n_neg = max(int(s.sum()), 1), max(int((~s).sum()), 1)
    pos = np.searchsorted(np.sort(d[s]), thresholds, side="right") / n_pos
    neg = np.searchsorted(np.sort(d[~s]), thresholds, side="right") / n_neg
    below = thresholds[0] - 1e-6 if len(thresholds) else 0.0
    return (
        np.concatenate([[0.0], neg]),
        np.concatenate([[0.0], pos]),
        np.concatenate([[below], thresholds]),
    )


def roc_auc(distances: FloatArray, same: BoolArray) -> float:
    """Area under the ROC curve (probability a same pair is closer than a different pair)."""
    far, tar, _ = roc_curve(distances, same)
    return float(np.trapezoid(tar, far))


def tar_at_far(distances: FloatArray, same: BoolArray, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the largest threshold whose FAR does not exceed ``far``.

    With n different-person pairs, at most floor(far * n) of them are accepted; the threshold
    is the midpoint below the next different-person distance.
    """
    d = np.asarray(distances, dtype=np.float64)
    s = np.asarray(same, dtype=bool)
    neg = np.sort(d[~s])
    k = int(np.floor(far * len(neg) + 1e-9))  # how many impostor pairs may be accepted
    if k >= len(neg):
        threshold = float(neg[-1]) + 1e-6
    else:
        upper = neg[k]
        lower = neg[k - 1] if k > 0 else upper - 1e-3
        # Ties at ``upper`` must stay rejected: cut strictly below it.
        lower = lower if lower < upper else float(np.max(neg[neg < upper], initial=upper - 1e-3))
        threshold = float((lower + upper) / 2.0)
    return float(np.mean(d[s] <= threshold)), threshold


def fit_logistic(x: FloatArray, y: BoolArray, l2: float = 1e-3, iters: int = 50) -> FloatArray:
    """Logistic regression by Newton's method; returns weights with the bias last.

    ``x`` is (n, k) features, ``y`` the labels; ``l2`` a small ridge that keeps separable
    data finite.
    """
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    t = np.asarray(y, dtype=np.float64)
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - t) + l2 * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return w


def one_nn_accuracy(
    gallery: FloatArray,
    gallery_labels: NDArray[np.str_],
    probes: FloatArray,
    probe_labels: NDArray[np.str_],
) -> float:
    """Closed-set identification: share of probes whose Euclidean nearest gallery item has
    the probe's label."""
    d = np.linalg.norm(probes[:, None, :] - gallery[None, :, :], axis=2)
    return float(np.mean(gallery_labels[np.argmin(d, axis=1)] == probe_labels))
