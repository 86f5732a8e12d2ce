"""Cohort score normalisation (AS-norm) on synthetic vectors with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from models.cnn.cohort import CohortStats, asnorm, cohort_stats, one_per_person
from models.cnn.evaluate import PairIndex
from models.cnn.lfw import Pair
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


def test_a_cohort_counts_each_person_once() -> None:
    person = np.array(["a", "a", "b", "c", "c", "c"])
    assert one_per_person(person, np.array([1, 0, 2, 5, 4])).tolist() == [1, 2, 5]


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


def _lfw_like(people_per_fold: int = 30) -> tuple[np.ndarray, np.ndarray, PairIndex, list[Pair]]:
    """Per fold, people with 2 images each (one same pair, one different pair per person),
    embedded as well separated 16-d vectors."""
    rng = np.random.default_rng(3)
    names, vectors, pairs = [], [], []
    for fold in range(10):
        for k in range(people_per_fold):
            name = f"f{fold}p{k}"
            centre = rng.normal(0, 1.0, 16)
            names += [name, name]
            vectors += [centre + rng.normal(0, 0.3, 16), centre + rng.normal(0, 0.3, 16)]
            pairs.append(Pair(fold, name, 1, name, 2))
        for k in range(people_per_fold):
            pairs.append(Pair(fold, f"f{fold}p{k}", 1, f"f{fold}p{(k + 1) % people_per_fold}", 2))
    person = np.array(names)
    row = {(n, i): 2 * j + i - 1 for j, n in enumerate(names[::2]) for i in (1, 2)}
    index = PairIndex(
        rows_a=np.array([row[(p.name_a, p.number_a)] for p in pairs]),
        rows_b=np.array([row[(p.name_b, p.number_b)] for p in pairs]),
        same=np.array([p.same for p in pairs]),
        folds=np.array([p.fold for p in pairs]),
    )
    return person, np.array(vectors, dtype=np.float32), index, pairs


def test_cross_fold_normalisation_draws_its_cohort_from_the_other_folds_of_the_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from models.cnn import report
    from models.cnn.evaluate import pair_distances

    person, vectors, index, pairs = _lfw_like(people_per_fold=30)
    seen: list[set[str]] = []

    def spy(x: np.ndarray, cohort: np.ndarray, k: int = 100) -> CohortStats:
        rows = [int(np.flatnonzero((vectors == c).all(axis=1))[0]) for c in cohort]
        seen.append({str(person[r]) for r in rows})
        return cohort_stats(x, cohort, k=10)

    monkeypatch.setattr(report, "cohort_stats", spy)
    d = pair_distances(vectors, index)
    normalised = report._cohort_normalised(d, lambda f: vectors, index, person, pairs)
    assert len(seen) == 10  # one cohort per fold, in fold order
    for fold, people in enumerate(seen):
        folds_of = {int(name[1]) for name in people}
        half = set(range(5)) if fold < 5 else set(range(5, 10))
        assert fold not in folds_of  # never the people of the pair's own fold
        assert folds_of <= half  # only people the half's model never saw
        assert len(people) == 4 * 30  # one image of each person of the other four folds
    assert np.isfinite(normalised).all()
    # Separable people stay separable: every same pair scores below every different one.
    assert normalised[index.same].max() < normalised[~index.same].min()
