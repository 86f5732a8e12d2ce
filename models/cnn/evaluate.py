"""LFW View 2 verification, closed-set identification and timing for dlib, in-house and fusion.

Honest protocol: in-house distances for pairs in folds 1-5 come from model A (trained without
anyone in folds 1-5), for folds 6-10 from model B (the other way round). dlib's distances come
from its public model, which was trained on other data (dlib reports 99.38% on LFW).
Fusion is a logistic regression over the two distances, fitted for each fold on the other
nine folds only; its "distance" is minus the logit (lower = more alike).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .features import LfwFeatures
from .lfw import Pair
from .metrics import (
    best_threshold,
    fit_logistic,
    kfold_accuracy,
    one_nn_accuracy,
    roc_auc,
    roc_curve,
    tar_at_far,
)

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class VerificationReport:
    """One model's View 2 figures. Thresholds are distances in that model's own units."""

    model: str
    fold_accuracies: tuple[float, ...]
    fold_thresholds: tuple[float, ...]
    mean_accuracy: float
    std_accuracy: float
    auc: float
    tar_at_far_1e2: float
    threshold_far_1e2: float
    tar_at_far_1e3: float
    threshold_far_1e3: float
    best_threshold: float  # accuracy-optimal over all 6,000 pairs
    best_threshold_accuracy: float


@dataclass(frozen=True)
class PairIndex:
    """Rows (into :class:`LfwFeatures`) of both images of every pair, with labels and folds."""

    rows_a: NDArray[np.int64]
    rows_b: NDArray[np.int64]
    same: NDArray[np.bool_]
    folds: NDArray[np.int64]


def index_pairs(pairs: list[Pair], features: LfwFeatures) -> PairIndex:
    """Look every pair's two images up in ``features``; KeyError names a missing image."""
    index = features.index()
    return PairIndex(
        rows_a=np.array([index[(p.name_a, p.number_a)] for p in pairs], dtype=np.int64),
        rows_b=np.array([index[(p.name_b, p.number_b)] for p in pairs], dtype=np.int64),
        same=np.array([p.same for p in pairs], dtype=bool),
        folds=np.array([p.fold for p in pairs], dtype=np.int64),
    )


def pair_distances(embeddings: NDArray[np.float32], pairs: PairIndex) -> FloatArray:
    """Euclidean distance between the embeddings of each pair's two images."""
    diff = embeddings[pairs.rows_a].astype(np.float64) - embeddings[pairs.rows_b]
    return np.asarray(np.linalg.norm(diff, axis=1), dtype=np.float64)


def verification_report(
    model: str, distances: FloatArray, same: NDArray[np.bool_], folds: NDArray[np.int64]
) -> VerificationReport:
    """All View 2 figures of one model from its pair distances."""
    kfold = kfold_accuracy(distances, same, folds)
    tar2, thr2 = tar_at_far(distances, same, 1e-2)
    tar3, thr3 = tar_at_far(distances, same, 1e-3)
    thr, acc = best_threshold(distances, same)
    return VerificationReport(
        model=model,
        fold_accuracies=tuple(float(a) for a in kfold.accuracies),
        fold_thresholds=tuple(float(t) for t in kfold.thresholds),
        mean_accuracy=kfold.mean,
        std_accuracy=kfold.std,
        auc=roc_auc(distances, same),
        tar_at_far_1e2=tar2,
        threshold_far_1e2=thr2,
        tar_at_far_1e3=tar3,
        threshold_far_1e3=thr3,
        best_threshold=thr,
        best_threshold_accuracy=acc,
    )


def fused_distances(
    d_dlib: FloatArray, d_inhouse: FloatArray, same: NDArray[np.bool_], folds: NDArray[np.int64]
) -> tuple[FloatArray, FloatArray]:
    """Cross-fitted logistic fusion. Returns (fused distance per pair, weights fitted on all
    pairs as (w_dlib, w_inhouse, bias): p(same) = sigmoid(w . [d1, d2, 1]))."""
    x = np.stack([d_dlib, d_inhouse], axis=1)
    fused = np.zeros(len(x))
    for f in np.unique(folds):
        test = folds == f
        w = fit_logistic(x[~test], same[~test])
        fused[test] = -(x[test] @ w[:2] + w[2])
    return fused, fit_logistic(x, same)


def zscore_fused_distances(
    d_dlib: FloatArray, d_inhouse: FloatArray, folds: NDArray[np.int64], weight: float = 0.5
) -> FloatArray:
    """The simpler alternative: each model's distances z-normalised with the mean and standard
    deviation of the other nine folds, then ``(1 - weight) * z_dlib + weight * z_inhouse``."""
    fused = np.zeros(len(d_dlib))
    for f in np.unique(folds):
        test = folds == f
        z = [(d[test] - d[~test].mean()) / d[~test].std() for d in (d_dlib, d_inhouse)]
        fused[test] = (1.0 - weight) * z[0] + weight * z[1]
    return fused


@dataclass(frozen=True)
class ClosedSetResult:
    """1-NN identification accuracy over a stratified gallery/probe split."""

    model: str
    people: int
    gallery_images: int
    probe_images: int
    accuracy: float
    note: str


def stratified_split(
    labels: NDArray[np.str_], test_fraction: float, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Per person, a random ``test_fraction`` of images (at least one) become probes."""
    rng = np.random.default_rng(seed)
    gallery, probes = [], []
    for person in sorted(set(labels.tolist())):
        rows = rng.permutation(np.flatnonzero(labels == person))
        n_test = max(1, int(round(len(rows) * test_fraction)))
        probes.extend(rows[:n_test].tolist())
        gallery.extend(rows[n_test:].tolist())
    return np.array(gallery, dtype=np.int64), np.array(probes, dtype=np.int64)


def closed_set(
    model: str,
    embeddings: NDArray[np.float32],
    labels: NDArray[np.str_],
    seed: int,
    note: str = "",
    test_fraction: float = 0.2,
) -> ClosedSetResult:
    """1-NN accuracy of ``embeddings`` (one row per image, labelled) on a stratified split."""
    gallery, probes = stratified_split(labels, test_fraction, seed)
    emb = embeddings.astype(np.float64)
    acc = one_nn_accuracy(emb[gallery], labels[gallery], emb[probes], labels[probes])
    return ClosedSetResult(model, len(set(labels.tolist())), len(gallery), len(probes), acc, note)


def interleaved_median_ms(
    fns: Mapping[str, Callable[[], object]],
    repeats: int,
    warmup: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median wall time in milliseconds of each of ``fns`` over ``repeats`` rounds after
    ``warmup``, each round calling every one once, in an order that rotates from round to
    round: on a shared machine whose speed drifts, all of them meet the same conditions, so
    their ratios hold better than those of one timed after the other."""
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            start = clock()
            fns[name]()
            times[name].append((clock() - start) * 1000.0)
    return {name: float(np.median(t)) for name, t in times.items()}


def plot_roc(curves: dict[str, tuple[FloatArray, NDArray[np.bool_]]], png: Path) -> Path:
    """ROC (TAR vs FAR, log FAR axis) of each named model's pair distances."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name, (distances, same) in curves.items():
        far, tar, _ = roc_curve(distances, same)
        ax.plot(np.maximum(far, 1e-4), tar, label=name)
    ax.set_xscale("log")
    ax.set_xlim(1e-4, 1.0)
    ax.set_xlabel("false accept rate (different-person pairs accepted)")
    ax.set_ylabel("true accept rate")
    ax.set_title("LFW View 2, 6,000 pairs")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png
