"""Open-set thresholds: how strict each model must be for a classroom-sized roster.

A verification FAR (one pair) understates what a classroom sees: every face a camera films is
compared with every enrolled photo of a roster of 30, so a stranger is falsely accepted when
*any* of them is close. The thresholds shipped with the in-house weights are therefore set on
simulated rosters: rosters of ``roster`` people with 1-3 enrolled photos each, probed with one
image of people not on the roster (non-mated: the false-positive identification rate, FPIR,
is the share accepted) and with another image of roster people (mated: FNIR, the share not
found, a student named as another included). The simulation uses only the people of View 2
folds 6-10, embedded by model B (which never saw them), so nothing is fitted on the folds 1-5
people that `attendance bench classroom` films with model A.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .cohort import CohortStats, asnorm_matrix

FloatArray = NDArray[np.float64]
#: Per model, (faces, dimension) embeddings of the simulation's images, rows alike.
Embeddings = dict[str, NDArray[np.float32]]
#: Per-student distances of each model (probes x students) -> one score (lower = more alike).
Scorer = Callable[[dict[str, FloatArray]], FloatArray]
#: Per model, cohort statistics (:mod:`models.cnn.cohort`) of the enrolled images (rows alike
#: with the embeddings) and of the probes (rows alike with the probes).
Normalisers = dict[str, tuple[CohortStats, CohortStats]]


@dataclass(frozen=True)
class OpenSetScores:
    """Each probe's best score against a simulated roster, mated and non-mated, and whether
    each mated probe's best student is its own (``mated_right``; None: all of them). A mated
    probe counts as found only when its best student is its own and accepted: a student named
    as another is not found, as in :meth:`RuleScores.rates`."""

    mated: FloatArray
    non_mated: FloatArray
    mated_right: NDArray[np.bool_] | None = None

    def _found_scores(self) -> FloatArray:
        """The mated probes' best scores, infinite where the best is another student."""
        if self.mated_right is None:
            return self.mated
        return np.where(self.mated_right, self.mated, np.inf)

    def threshold_at_fpir(self, fpir: float) -> float:
        """The largest score accepting at most ``fpir`` of the non-mated probes."""
        ordered = np.sort(self.non_mated)
        k = int(np.floor(fpir * len(ordered)))
        return float(ordered[k] - 1e-9) if k < len(ordered) else float(ordered[-1])

    def threshold_at_fnir(self, fnir: float) -> float:
        """The smallest score missing at most ``fnir`` of the mated probes (the loosest
        threshold when the probes named as another student alone miss more)."""
        ordered = np.sort(self._found_scores())
        k = int(np.floor(fnir * len(ordered)))
        at = ordered[len(ordered) - 1 - k] if k < len(ordered) else ordered[0]
        if not np.isfinite(at):
            finite = ordered[np.isfinite(ordered)]
            at = finite[-1] if len(finite) else np.inf
        return float(at)

    def fpir(self, threshold: float) -> float:
        return float(np.mean(self.non_mated <= threshold))

    def fnir(self, threshold: float) -> float:
        """Mated probes not found: best score above the threshold, or best student another."""
        return float(np.mean(~(self._found_scores() <= threshold)))


def simulate_rosters(
    person: NDArray[np.str_],
    embeddings: Embeddings,
    scorer: Scorer,
    *,
    roster: int = 30,
    trials: int = 300,
    strangers: int = 60,
    seed: int = 0,
    probes: Embeddings | None = None,
    normalisers: Normalisers | None = None,
) -> OpenSetScores:
    """Scores of mated and non-mated probes over ``trials`` random rosters (see module).

    ``probes``, rows alike with ``embeddings``, are what the probe images look like to the
    models (camera-like versions, :mod:`models.cnn.camera_probes`); the rosters are always
    enrolled from ``embeddings``. By default the probes are ``embeddings`` too. With
    ``normalisers``, the models named there score photo pairs by their cohort-normalised
    distance (:func:`models.cnn.cohort.asnorm_matrix`) before each student's nearest photo is taken.
    """
    mated: list[float] = []
    right: list[bool] = []
    non_mated: list[float] = []
    for trial in _roster_trials(person, embeddings, roster=roster, trials=trials,
                                strangers=strangers, seed=seed, probes=probes,
                                normalisers=normalisers):
        scores = scorer(trial.mated)  # row k: a probe of student k
        mated += np.min(scores, axis=1).tolist()
        right += (np.argmin(scores, axis=1) == np.arange(len(scores))).tolist()
        non_mated += np.min(scorer(trial.non_mated), axis=1).tolist()
    return OpenSetScores(np.array(mated), np.array(non_mated), np.array(right, dtype=bool))


@dataclass(frozen=True)
class ProbeScores:
    """What a rule sees of each probe of one kind (mated or non-mated): the scorer's best and
    runner-up scores, and whether its best is the probe's own student (never, for a stranger);
    for a second model accepting on its own, its best distance, whether that is the own
    student, and whether it is the scorer's best student too."""

    best: FloatArray
    second: FloatArray
    right: NDArray[np.bool_]
    also_best: FloatArray
    also_right: NDArray[np.bool_]
    agree: NDArray[np.bool_]

    def named(self, threshold: float, margin: float,
              also_threshold: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Which probes the rule names a student for, and which of those rightly."""
        by_score = self.best <= threshold
        by_also = self.also_best <= also_threshold
        clear = self.second - self.best >= margin
        named = (by_score | by_also) & clear & ~(by_score & by_also & ~self.agree)
        return named, named & np.where(by_score, self.right, self.also_right)


@dataclass(frozen=True)
class RuleScores:
    """Each probe's two best scores against a simulated roster, and a second model's own best
    distance (:func:`simulate_rule`): what the ``fused`` rule decides at any threshold and
    margin over the runner-up (:func:`attendance.matching.fusion.decide_faces`)."""

    mated: ProbeScores
    non_mated: ProbeScores

    def rates(self, threshold: float, margin: float,
              also_threshold: float = -np.inf) -> tuple[float, float, float]:
        """(FNIR, wrong-student rate, FPIR) of the rule: the scorer's best student accepted at
        or below ``threshold``, the second model's at or below ``also_threshold`` (by default
        never: the score alone), nobody when they name different students or when the
        runner-up is less than ``margin`` behind. Mated probes not named as their own student,
        mated probes named as another, non-mated probes named."""
        named, right = self.mated.named(threshold, margin, also_threshold)
        strangers, _ = self.non_mated.named(threshold, margin, also_threshold)
        return (float(np.mean(~right)), float(np.mean(named & ~right)),
                float(np.mean(strangers)))


def simulate_rule(
    person: NDArray[np.str_],
    embeddings: Embeddings,
    scorer: Scorer,
    also: str | None = None,
    **options: Any,
) -> RuleScores:
    """:func:`simulate_rosters` (the same rosters for the same ``options``) keeping each
    probe's two best scores, whether the best is its own student, and the best distance of
    the model ``also`` (a model of ``embeddings`` accepting on its own, as dlib does under
    the ``fused`` rule; by default none)."""
    sides: dict[str, dict[str, list[NDArray[Any]]]] = {
        side: {f: [] for f in ProbeScores.__dataclass_fields__} for side in ("mated", "non_mated")}
    for trial in _roster_trials(person, embeddings, **options):
        for side, distances in (("mated", trial.mated), ("non_mated", trial.non_mated)):
            scores = scorer(distances)
            other = distances[also] if also is not None else np.full_like(scores, np.inf)
            own = (np.arange(len(scores)) if side == "mated"
                   else np.full(len(scores), -1))  # a stranger has no student of their own
            parts = sides[side]
            order = np.argsort(scores, axis=1, kind="stable")[:, :2]
            rows = np.arange(len(scores))
            parts["best"].append(scores[rows, order[:, 0]])
            parts["second"].append(scores[rows, order[:, 1]] if order.shape[1] > 1
                                   else np.full(len(scores), np.inf))  # a roster of one
            parts["right"].append(order[:, 0] == own)
            also_order = np.argmin(other, axis=1)
            parts["also_best"].append(other[rows, also_order])
            parts["also_right"].append(also_order == own)
            parts["agree"].append(also_order == order[:, 0])
    return RuleScores(*(ProbeScores(**{f: np.concatenate(v) for f, v in sides[side].items()})
                        for side in ("mated", "non_mated")))


@dataclass(frozen=True)
class _Trial:
    """One simulated roster: per model, the per-student distances (probes x students) of the
    mated probes, row ``k`` a probe of student ``k``, and of the non-mated ones."""

    mated: dict[str, FloatArray]
    non_mated: dict[str, FloatArray]


def _roster_trials(
    person: NDArray[np.str_],
    embeddings: Embeddings,
    *,
    roster: int = 30,
    trials: int = 300,
    strangers: int = 60,
    seed: int = 0,
    probes: Embeddings | None = None,
    normalisers: Normalisers | None = None,
) -> Iterator[_Trial]:
    """The random rosters of :func:`simulate_rosters`, one at a time."""
    probe_embeddings = embeddings if probes is None else probes
    rng = np.random.default_rng(seed)
    names, inverse = np.unique(person, return_inverse=True)
    rows_of = [np.flatnonzero(inverse == i) for i in range(len(names))]
    multi = np.array([i for i, r in enumerate(rows_of) if len(r) >= 2])
    for _ in range(trials):
        chosen = rng.choice(multi, size=roster, replace=False)
        gallery_rows: list[int] = []
        owner: list[int] = []
        mated_rows: list[int] = []
        for k, p in enumerate(chosen):
            rows = rng.permutation(rows_of[p])
            n = int(rng.integers(1, min(3, len(rows) - 1) + 1))
            gallery_rows += rows[:n].tolist()
            owner += [k] * n
            mated_rows.append(int(rows[n]))
        others = np.setdiff1d(np.arange(len(names)), chosen)
        stranger_rows = [int(rng.choice(rows_of[p])) for p in rng.choice(others, strangers)]
        yield _Trial(*(
            {name: _per_student(probe_embeddings[name][probe_rows], e[gallery_rows],
                                np.array(owner), roster,
                                _stats_of(normalisers, name, gallery_rows, probe_rows))
             for name, e in embeddings.items()}
            for probe_rows in (mated_rows, stranger_rows)))


def _stats_of(
    normalisers: Normalisers | None, name: str, gallery_rows: list[int], probe_rows: list[int]
) -> tuple[CohortStats, CohortStats] | None:
    if normalisers is None or name not in normalisers:
        return None
    enrolled, probed = normalisers[name]
    return enrolled.take(np.array(gallery_rows)), probed.take(np.array(probe_rows))


def _per_student(
    probes: NDArray[np.float32],
    gallery: NDArray[np.float32],
    owner: NDArray[np.int_],
    n: int,
    stats: tuple[CohortStats, CohortStats] | None = None,
) -> FloatArray:
    """(probes x students): each student's nearest enrolled photo; with ``stats`` (of the
    gallery photos, of the probes) by cohort-normalised distance."""
    d = np.linalg.norm(probes[:, None, :].astype(np.float64) - gallery[None, :, :], axis=2)
    if stats is not None:
        enrolled, probed = stats
        d = asnorm_matrix(d, probed, enrolled)
    out = np.full((len(probes), n), np.inf)
    for k in range(n):
        out[:, k] = d[:, owner == k].min(axis=1)
    return out
