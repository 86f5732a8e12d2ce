"""Cohort score normalisation (adaptive S-norm) of embedding distances.

A raw distance treats every face alike, but some faces sit in a crowded part of the space
(close to many people: a common face, a blurred one) and others in an empty one. Adaptive
symmetric normalisation (AS-norm, as in speaker verification) measures each face against a
*cohort* of other people: ``mu`` and ``sd`` of its ``k`` smallest distances to the cohort.
A pair's normalised score is the mean of the distance standardised by either face's
statistics::

    s(a, b) = ((d - mu_a) / sd_a + (d - mu_b) / sd_b) / 2      (lower = more alike)

so a pair of faces that are close to each other *and* unusually close to everybody else is
no longer mistaken for a match. The score is a z-like number (matches well below zero), not
a distance in dlib's units.

The cohort must never hold either face of the pair. It need not be real people: the
cohort :func:`fit_mixture_cohort` draws is synthetic, vectors drawn from a mixture of
Gaussians fitted to a model's training vectors (each component the mean and covariance of
hundreds of people), so it describes where faces crowd without being anybody's template. On
LFW it normalised as well as real people the model never saw (``docs/model_card.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelLoadError

FloatArray = NDArray[np.float64]

#: How many nearest cohort members describe a face's neighbourhood. On LFW (in-house
#: cross-fold models, cohorts of about 1,000 unseen people) 100 and 200 gave the same TAR at
#: FAR = 1% within 0.001; smaller values follow the nearest few look-alikes too closely.
DEFAULT_TOP_K = 100
#: The synthetic cohort: draws from a mixture of this many Gaussians, each covariance shrunk
#: this far towards its diagonal (a component's few hundred vectors do not pin down all
#: 128x128 entries). On LFW 16 components did as well as 64 or 256, and 4,000 draws as well
#: as 16,000 (TAR at FAR = 1% within 0.005 across seeds); one Gaussian did markedly worse.
MIXTURE_COMPONENTS = 16
MIXTURE_DRAWS = 4000
MIXTURE_SHRINK = 0.1


@dataclass(frozen=True)
class CohortStats:
    """Per face (rows alike with the embeddings they came from): the mean and standard
    deviation of its ``k`` smallest distances to the cohort."""

    mean: FloatArray
    std: FloatArray

    def take(self, rows: NDArray[np.int64]) -> CohortStats:
        """The statistics of ``rows`` only."""
        return CohortStats(self.mean[rows], self.std[rows])


def cohort_stats(
    embeddings: NDArray[np.floating], cohort: NDArray[np.floating], k: int = DEFAULT_TOP_K
) -> CohortStats:
    """Each embedding's ``k`` nearest cohort distances, summarised (see module).

    ValueError when the cohort has fewer than ``k`` + 1 members (the statistics of a handful
    of neighbours are noise) or the dimensions differ.
    """
    c = np.asarray(cohort, dtype=np.float64)
    return _stats(embeddings, c, np.einsum("ij,ij->i", c, c), k)


def _stats(
    embeddings: NDArray[np.floating], c: FloatArray, c_sq: FloatArray, k: int
) -> CohortStats:
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"embeddings {x.shape} and cohort {c.shape} are not alike")
    if k < 2 or len(c) <= k:
        raise ValueError(f"a cohort of {len(c)} cannot give the {k} nearest (k >= 2, more "
                         f"members than k)")
    mean = np.empty(len(x))
    std = np.empty(len(x))
    for start in range(0, len(x), 1024):  # bounded memory: 1024 x cohort distances at a time
        part = x[start : start + 1024]
        # A few faces (a frame's) by a plain loop, many (the evaluation) by BLAS. Right after
        # an inference on this 2-core CPU with another job running (as beside a second
        # camera's worker), a BLAS product for one face stalled ~3 ms where the loop took
        # 0.3; on an idle machine BLAS is as fast for one face and faster for 8 (1.1 against
        # 1.8 ms): the loop trades that for never stalling.
        products = np.einsum("ij,kj->ik", part, c) if len(part) <= 8 else part @ c.T
        sq = np.einsum("ij,ij->i", part, part)[:, None] + c_sq[None, :] - 2.0 * products
        nearest = np.sqrt(np.partition(np.maximum(sq, 0.0), k - 1, axis=1)[:, :k])
        mean[start : start + 1024] = nearest.mean(axis=1)
        std[start : start + 1024] = nearest.std(axis=1)
    return CohortStats(mean, np.maximum(std, 1e-6))


def asnorm(distances: FloatArray, a: CohortStats, b: CohortStats) -> FloatArray:
    """Normalised scores of pairs whose raw ``distances`` are between faces with statistics
    ``a`` and ``b`` (all rows alike)."""
    d = np.asarray(distances, dtype=np.float64)
    return np.asarray(((d - a.mean) / a.std + (d - b.mean) / b.std) / 2.0, dtype=np.float64)


def asnorm_matrix(distances: FloatArray, rows: CohortStats, columns: CohortStats) -> FloatArray:
    """:func:`asnorm` of a (rows x columns) distance matrix, say faces x enrolled photos,
    with the statistics of each row's face and of each column's."""
    return asnorm(distances, CohortStats(rows.mean[:, None], rows.std[:, None]),
                  CohortStats(columns.mean[None, :], columns.std[None, :]))


def fit_mixture_cohort(
    vectors: NDArray[np.floating],
    *,
    components: int = MIXTURE_COMPONENTS,
    draws: int = MIXTURE_DRAWS,
    shrink: float = MIXTURE_SHRINK,
    seed: int = 0,
    iterations: int = 25,
    restarts: int = 4,
) -> NDArray[np.float32]:
    """``draws`` synthetic vectors from a Gaussian mixture fitted to ``vectors`` (a model's
    embeddings of its training faces): k-means into ``components`` clusters (the best of
    ``restarts``), then from each cluster, in proportion to its size, draws from the Gaussian
    of its mean and its covariance shrunk by ``shrink`` towards the diagonal. Deterministic
    for a ``seed``. ValueError when there are too few vectors to fit it."""
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) < 10 * components:
        raise ValueError(f"{len(x)} vectors cannot fit a mixture of {components} "
                         f"(at least {10 * components})")
    rng = np.random.default_rng(seed)
    label = min((_kmeans(x, components, rng, iterations) for _ in range(restarts)),
                key=lambda fit: fit[0])[1]
    sizes = np.bincount(label, minlength=components)
    usable = sizes >= 10  # a cluster of a handful of faces has no covariance worth the name
    counts = rng.multinomial(draws, sizes * usable / (sizes * usable).sum())
    out = []
    for cluster in np.flatnonzero(usable).tolist():
        members = x[label == cluster]
        cov = np.cov(members.T)
        cov = (1.0 - shrink) * cov + shrink * np.diag(np.diag(cov))
        out.append(rng.multivariate_normal(members.mean(axis=0), cov, int(counts[cluster])))
    return np.concatenate(out).astype(np.float32)


def _kmeans(x: NDArray[np.float64], k: int, rng: np.random.Generator, iterations: int
            ) -> tuple[float, NDArray[np.intp]]:
    """(sum of squared distances to the centres, cluster of each row) of one k-means run."""
    x_sq = np.einsum("ij,ij->i", x, x)
    # k-means++ seeding: each new centre drawn in proportion to the squared distance to the
    # nearest centre so far, so small, distant groups get a centre of their own.
    centres = x[[int(rng.integers(len(x)))]]
    nearest_sq = np.maximum(x_sq + centres[0] @ centres[0] - 2 * x @ centres[0], 0.0)
    for _ in range(k - 1):
        chosen = x[int(rng.choice(len(x), p=nearest_sq / nearest_sq.sum()))]
        centres = np.vstack([centres, chosen])
        nearest_sq = np.minimum(nearest_sq,
                                np.maximum(x_sq + chosen @ chosen - 2 * x @ chosen, 0.0))
    for _ in range(iterations + 1):
        sq = x_sq[:, None] + np.einsum("ij,ij->i", centres, centres)[None] - 2 * x @ centres.T
        label = sq.argmin(axis=1)
        for j in range(k):
            if np.any(label == j):
                centres[j] = x[label == j].mean(axis=0)
    return float(np.maximum(sq[np.arange(len(x)), label], 0.0).sum()), label


#: ``<weights stem>`` + this suffix, next to the weights file.
COHORT_SUFFIX = ".cohort.npz"


class CohortError(ModelLoadError):
    """A cohort file is missing, malformed, or belongs to other weights."""


def cohort_path(weights: Path) -> Path:
    """Where the cohort of ``weights`` lives: ``<stem>.cohort.npz`` beside it."""
    return weights.with_name(weights.name.removesuffix(".keras") + COHORT_SUFFIX)


def save_cohort(weights: Path, vectors: NDArray[np.floating], digest: str) -> Path:
    """Write the cohort of ``weights`` (whose digest is ``digest``) beside them, as float16
    (1 MB for 4,000 vectors; the statistics do not need more precision)."""
    path = cohort_path(weights)
    np.savez(path, vectors=np.asarray(vectors, dtype=np.float16), digest=np.str_(digest),
             top_k=np.int32(DEFAULT_TOP_K))
    return path


@dataclass(frozen=True, eq=False)
class Cohort:
    """A model's cohort and how many nearest members describe a face (``top_k``)."""

    vectors: NDArray[np.float32]
    top_k: int = DEFAULT_TOP_K
    #: The rows in float64 and their squared norms, made once (every frame's faces are
    #: measured against them).
    _rows: FloatArray = field(init=False, repr=False)
    _sq_norms: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows = np.ascontiguousarray(self.vectors, dtype=np.float64)
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "_sq_norms", np.einsum("ij,ij->i", rows, rows))

    def stats(self, embeddings: NDArray[np.floating]) -> CohortStats:
        """:func:`cohort_stats` of ``embeddings`` against this cohort."""
        return _stats(embeddings, self._rows, self._sq_norms, self.top_k)


def load_cohort(weights: Path, digest: str) -> Cohort:
    """The cohort shipped beside ``weights``; CohortError unless it exists, is well formed and
    was made for weights of this ``digest`` (:func:`models.cnn.embedder.weights_digest`)."""
    path = cohort_path(weights)
    redo = "run `attendance model evaluate` on these weights to write it"
    try:
        with np.load(path) as data:
            vectors, stored, top_k = data["vectors"], str(data["digest"]), int(data["top_k"])
    except FileNotFoundError as exc:
        raise CohortError(f"cohort {path} not found: {redo}") from exc
    except (OSError, KeyError, ValueError) as exc:
        raise CohortError(f"cohort {path} cannot be read ({exc}): {redo}") from exc
    if stored != digest:
        raise CohortError(f"cohort {path} was made for weights {stored}, not {digest}: {redo}")
    if vectors.ndim != 2 or len(vectors) <= top_k or not np.isfinite(vectors).all():
        raise CohortError(f"cohort {path} holds no usable vectors {vectors.shape}: {redo}")
    return Cohort(np.asarray(vectors, dtype=np.float32), top_k)


__all__ = ["COHORT_SUFFIX", "DEFAULT_TOP_K", "Cohort", "CohortError", "CohortStats", "asnorm",
           "asnorm_matrix", "cohort_path", "cohort_stats", "fit_mixture_cohort", "load_cohort",
           "save_cohort"]
