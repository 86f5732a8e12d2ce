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

The cohort must be people the model never saw in training and neither face of the pair;
``models.cnn.report`` draws it, for each LFW fold, from the people of the other folds the
scoring cross-fold model never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: How many nearest cohort members describe a face's neighbourhood. On LFW (in-house
#: cross-fold models, cohorts of about 1,000 unseen people) 100 and 200 gave the same TAR at
#: FAR = 1% within 0.001; smaller values follow the nearest few look-alikes too closely.
DEFAULT_TOP_K = 100


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
    x = np.asarray(embeddings, dtype=np.float64)
    c = np.asarray(cohort, dtype=np.float64)
    if x.ndim != 2 or c.ndim != 2 or x.shape[1] != c.shape[1]:
        raise ValueError(f"embeddings {x.shape} and cohort {c.shape} are not alike")
    if k < 2 or len(c) <= k:
        raise ValueError(f"a cohort of {len(c)} cannot give the {k} nearest (k >= 2, more "
                         f"members than k)")
    mean = np.empty(len(x))
    std = np.empty(len(x))
    c_sq = np.einsum("ij,ij->i", c, c)
    for start in range(0, len(x), 1024):  # bounded memory: 1024 x cohort distances at a time
        part = x[start : start + 1024]
        sq = np.einsum("ij,ij->i", part, part)[:, None] + c_sq[None, :] - 2.0 * part @ c.T
        nearest = np.sqrt(np.partition(np.maximum(sq, 0.0), k - 1, axis=1)[:, :k])
        mean[start : start + 1024] = nearest.mean(axis=1)
        std[start : start + 1024] = nearest.std(axis=1)
    return CohortStats(mean, np.maximum(std, 1e-6))


def asnorm(distances: FloatArray, a: CohortStats, b: CohortStats) -> FloatArray:
    """Normalised scores of pairs whose raw ``distances`` are between faces with statistics
    ``a`` and ``b`` (all rows alike)."""
    d = np.asarray(distances, dtype=np.float64)
    return np.asarray(((d - a.mean) / a.std + (d - b.mean) / b.std) / 2.0, dtype=np.float64)


def one_per_person(person: NDArray[np.str_], rows: NDArray[np.int64]) -> NDArray[np.int64]:
    """The first of ``rows`` of each person among them: a cohort counts people, not photos
    (ten photos of one person would crowd every neighbourhood they are near)."""
    rows = np.asarray(rows, dtype=np.int64)
    _, first = np.unique(person[rows], return_index=True)
    return np.sort(rows[first])


__all__ = ["DEFAULT_TOP_K", "CohortStats", "asnorm", "cohort_stats", "one_per_person"]
