"""The ``fused`` rule's scores: one calibrated score per candidate from both models' distances.

For each face and each student with embeddings of *both* models, ``d_dlib`` and
``d_inhouse`` are each model's distance to that student's nearest photo (exactly what
:func:`~attendance.matching.identify.identify` compares with a threshold; where the fit
normalises in-house distances, ``d_inhouse`` is instead the smallest cohort-normalised score
of that student's photos, :mod:`models.cnn.cohort`), and the fused distance is
``-(coef_dlib*d_dlib + coef_inhouse*d_inhouse + intercept)`` with the coefficients fitted
on honest cross-fold LFW scores (``models.fusion_params``). The face's fused candidate is
the student with the smallest fused distance; it is accepted at or below
``fused_threshold``, like a single model's nearest student at or below its threshold. When
the runner-up student's fused distance is less than ``fused_margin`` larger, the face is
*ambiguous* (it looks about as much like two students; with camera faces this is mostly a
look-alike of the one shown), and :func:`attendance.matching.fusion.decide_faces` leaves it
unknown whatever accepts it.

A student with embeddings of only one model (say, enrolled before the in-house model was
enabled and not yet back-filled) cannot get a fused score; that model's own threshold
decides about them instead (:class:`FusedFace` ``single``), and
:func:`attendance.matching.fusion.decide_faces` leaves the face unknown when the fused
candidate and such a one-model candidate are both accepted and differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from models.fusion_params import FusionParams

from .calibration import FUSED_MODELS
from .identify import student_distances
from .roster import Gallery

#: Key of the fused score in a sighting's evidence JSON, beside the models' entries.
FUSED_KEY = "fused"


@dataclass(frozen=True)
class FusedMatch:
    """The fused verdict on one face.

    ``student_id`` is the candidate with the smallest fused ``distance`` (minus the logit;
    ``inf`` and ``None`` when no student has embeddings of both models), ``probability`` its
    calibrated p(same person), ``runner_up_distance`` the next candidate's fused distance
    and ``runner_up_id`` who that is. ``accepted`` is ``distance <= threshold``;
    ``ambiguous`` that the runner-up is less than ``margin`` further (the fit's
    ``fused_margin``). ``version`` names the fit
    (:attr:`~models.fusion_params.FusionParams.label`).
    """

    student_id: int | None
    distance: float
    probability: float
    runner_up_distance: float
    threshold: float
    accepted: bool
    version: str
    runner_up_id: int | None = None
    margin: float = 0.0

    @property
    def ambiguous(self) -> bool:
        """Whether the runner-up is within :attr:`margin` of the best candidate."""
        return self.runner_up_distance - self.distance < self.margin


@dataclass(frozen=True)
class FusedFace:
    """A face's fused match, and per model the nearest student only that model has
    embeddings of, as (student id, distance) (absent when there is none)."""

    fused: FusedMatch
    single: Mapping[str, tuple[int, float]] = field(default_factory=dict)


def fused_faces(
    galleries: Mapping[str, Gallery],
    embeddings: Mapping[str, NDArray[np.float32]],
    params: FusionParams,
) -> list[FusedFace]:
    """The fused scores of a batch of faces (each model's (faces, dimension) embeddings)."""
    if set(embeddings) != set(FUSED_MODELS):
        raise ValueError(f"the fused rule combines {' and '.join(FUSED_MODELS)}, "
                         f"not {sorted(embeddings)}")
    dlib, inhouse = (galleries[name] for name in FUSED_MODELS)
    d_dlib = student_distances(dlib, embeddings["dlib"])
    d_inhouse = student_distances(inhouse, embeddings["inhouse"])
    if params.normalises and params.cohort is None:
        raise ValueError(f"the fusion {params.label} normalises in-house distances but has "
                         "no cohort (models.fusion_params.with_cohort_of)")
    # The fused term: the cohort-normalised score where the fit was made on such scores.
    s_inhouse = (student_distances(inhouse, embeddings["inhouse"], params.cohort)
                 if params.normalises else d_inhouse)
    faces = len(d_dlib)
    if len(d_inhouse) != faces:
        raise ValueError(f"models embedded different numbers of faces: {faces}, "
                         f"{len(d_inhouse)}")
    common = np.intersect1d(dlib.students, inhouse.students)
    fused = params.fused_distance(
        d_dlib[:, np.searchsorted(dlib.students, common)],
        s_inhouse[:, np.searchsorted(inhouse.students, common)])
    only = {
        "dlib": (~np.isin(dlib.students, common), dlib.students, d_dlib),
        "inhouse": (~np.isin(inhouse.students, common), inhouse.students, d_inhouse),
    }
    result = []
    for face in range(faces):
        match = _best(fused[face], common, params)
        single: dict[str, tuple[int, float]] = {}
        for name, (mask, students, distances) in only.items():
            if mask.any():
                row = np.where(mask, distances[face], np.inf)
                best = int(np.argmin(row))
                single[name] = (int(students[best]), float(row[best]))
        result.append(FusedFace(match, single))
    return result


def _best(row: NDArray[np.float64], students: NDArray[np.int64],
          params: FusionParams) -> FusedMatch:
    if len(students) == 0:
        return FusedMatch(None, math.inf, 0.0, math.inf, params.fused_threshold, False,
                          params.label, margin=params.fused_margin)
    order = np.argsort(row, kind="stable")[:2]
    distance = float(row[order[0]])
    second = int(students[order[1]]) if len(order) > 1 else None
    runner_up = float(row[order[1]]) if len(order) > 1 else math.inf
    return FusedMatch(int(students[order[0]]), distance, params.probability(distance),
                      runner_up, params.fused_threshold, distance <= params.fused_threshold,
                      params.label, runner_up_id=second, margin=params.fused_margin)


__all__ = ["FUSED_KEY", "FusedFace", "FusedMatch", "fused_faces"]
