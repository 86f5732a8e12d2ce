"""Cohort score normalisation (AS-norm) on synthetic vectors with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from models.cnn.cohort import CohortStats, asnorm, cohort_stats, fit_mixture_cohort
from models.cnn.evaluate import PairIndex
from models.cnn.openset import OpenSetScores, simulate_rosters


def test_cohort_stats_are_the_k_nearest_distances_summarised() -> None:
    rng = np.random.default_rng(0)
    faces, cohort = rng.normal(size=(5, 8)), rng.normal(size=(40, 8))
    stats = cohort_stats(faces, cohort, k=7)
    for i, face in enumerate(faces):
        nearest = np.sort(np.linalg.norm(cohort - face, axis=1))[:7]
        assert stats.mean[i] == pytest.approx(nearest.mean())
        assert stats.std[i] == pytest.approx(nearest.std())


def test_a_pair_in_a_crowded_place_scores_worse_than_the_same_distance_alone() -> None:
    rng = np.random.default_rng(1)
    cohort = rng.normal(0.0, 0.3, size=(200, 2))  # everybody else is near the origin
    crowded = np.array([[0.0, 0.0], [0.5, 0.0]])
    lonely = np.array([[5.0, 5.0], [5.5, 5.0]])
    stats = cohort_stats(np.concatenate([crowded, lonely]), cohort, k=20)
    d = np.array([0.5, 0.5])  # the same raw distance within each pair
    scores = asnorm(d, stats.take(np.array([0, 2])), stats.take(np.array([1, 3])))
    assert scores[0] > scores[1]  # near everybody: the match is less telling
    assert scores[1] < 0  # much closer to each other than to anyone else


def test_asnorm_is_the_mean_of_both_standardised_distances() -> None:
    a = CohortStats(np.array([1.0]), np.array([0.5]))
    b = CohortStats(np.array([0.8]), np.array([0.1]))
    expected = ((0.6 - 1) / 0.5 + (0.6 - 0.8) / 0.1) / 2
    assert asnorm(np.array([0.6]), a, b)[0] == pytest.approx(expected)


def test_a_cohort_too_small_or_of_another_dimension_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot give"):
        cohort_stats(np.zeros((2, 4)), np.zeros((10, 4)), k=10)
    with pytest.raises(ValueError, match="not alike"):
        cohort_stats(np.zeros((2, 4)), np.zeros((10, 3)), k=3)


def test_the_synthetic_cohort_follows_where_the_vectors_crowd() -> None:
    rng = np.random.default_rng(4)
    # Three groups of faces of different sizes and spreads, far apart.
    centres = np.array([[0.0] * 8, [10.0] * 8, [-10.0] * 8])
    sizes, spreads = (600, 300, 100), (0.5, 1.0, 0.2)
    vectors = np.concatenate([c + rng.normal(0, s, (n, 8))
                              for c, n, s in zip(centres, sizes, spreads, strict=True)])
    cohort = fit_mixture_cohort(vectors, components=3, draws=1000, seed=0)
    assert cohort.shape == (1000, 8)
    assert cohort.dtype == np.float32
    nearest = np.linalg.norm(cohort[:, None] - centres[None], axis=2).argmin(axis=1)
    counts = np.bincount(nearest, minlength=3)
    assert counts.tolist() == pytest.approx([600, 300, 100], abs=40)  # drawn by cluster size
    assert cohort[nearest == 1].std() == pytest.approx(1.0, rel=0.2)  # with each one's spread
    assert cohort[nearest == 2].std() == pytest.approx(0.2, rel=0.2)
    assert not np.isin(cohort, vectors.astype(np.float32)).all(axis=1).any()  # nobody's vector
    again = fit_mixture_cohort(vectors, components=3, draws=1000, seed=0)
    np.testing.assert_array_equal(cohort, again)  # deterministic for a seed


def test_a_mixture_needs_enough_vectors() -> None:
    with pytest.raises(ValueError, match="cannot fit a mixture of 16"):
        fit_mixture_cohort(np.zeros((100, 8)))


def test_normalisers_with_neutral_statistics_leave_the_roster_scores_alone() -> None:
    rng = np.random.default_rng(2)
    person = np.repeat([f"p{i}" for i in range(40)], 3)
    vectors = (np.repeat(rng.normal(size=(40, 8)), 3, axis=0)
               + rng.normal(0, 0.2, (120, 8))).astype(np.float32)
    neutral = CohortStats(np.zeros(120), np.ones(120))
    halved = CohortStats(np.zeros(120), np.full(120, 2.0))

    def simulate(normalisers: dict[str, tuple[CohortStats, CohortStats]] | None) -> OpenSetScores:
        return simulate_rosters(person, {"m": vectors}, lambda d: d["m"], roster=10, trials=5,
                                strangers=5, normalisers=normalisers)

    raw = simulate(None)
    same = simulate({"m": (neutral, neutral)})
    half = simulate({"m": (halved, halved)})
    np.testing.assert_allclose(same.mated, raw.mated)
    np.testing.assert_allclose(half.non_mated, raw.non_mated / 2)


def test_cross_fold_normalisation_uses_each_halfs_model_and_cohort() -> None:
    from models.cnn.evaluate import pair_distances
    from models.cnn.report import _cohort_normalised

    rng = np.random.default_rng(3)
    vectors_a, vectors_b = (rng.normal(size=(40, 4)).astype(np.float32) for _ in range(2))
    index = PairIndex(rows_a=np.arange(0, 40, 2), rows_b=np.arange(1, 40, 2),
                      same=np.tile([True, False], 10), folds=np.repeat(np.arange(10), 2))
    cohort_a = rng.normal(size=(300, 4)).astype(np.float32)
    cohort_b = rng.normal(2.0, 1.0, size=(300, 4)).astype(np.float32)
    d = np.where(index.folds < 5, pair_distances(vectors_a, index),
                 pair_distances(vectors_b, index))
    scores = _cohort_normalised(d, (vectors_a, vectors_b), (cohort_a, cohort_b), index)
    for i in range(20):
        vectors, cohort = (vectors_a, cohort_a) if index.folds[i] < 5 else (vectors_b, cohort_b)
        a = cohort_stats(vectors[[index.rows_a[i]]], cohort)
        b = cohort_stats(vectors[[index.rows_b[i]]], cohort)
        assert scores[i] == pytest.approx(asnorm(d[[i]], a, b)[0])


def test_a_few_faces_and_many_get_the_same_statistics() -> None:
    rng = np.random.default_rng(6)
    faces, cohort = rng.normal(size=(20, 16)), rng.normal(size=(300, 16))
    together = cohort_stats(faces, cohort, k=30)  # one matrix product
    for i in range(20):
        alone = cohort_stats(faces[i : i + 1], cohort, k=30)  # the loop for a few faces
        assert alone.mean[0] == pytest.approx(together.mean[i], rel=1e-9)
        assert alone.std[0] == pytest.approx(together.std[i], rel=1e-9)
