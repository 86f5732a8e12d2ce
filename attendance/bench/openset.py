"""Open-set identification scores of every detected face, for FNIR at FPIR and DET curves.

Every correctly detected face is searched against every course's gallery: against the
course whose roster holds the person it is a *mated* search, against any other course (and
for walk-ins, against all courses) a *non-mated* one. Rosters are disjoint, so this gives
many more non-mated searches than walk-ins alone (FPIR = 0.1% needs over 1,000).

Scores are distances divided by the model's configured threshold (1.0 is the operating
point); for the ``both`` configuration the larger of the two, and ``inf`` when the models'
top candidates differ (:func:`.metrics.fused_score`); for the ``fused_score`` one the fused
distance of the best fused candidate shifted so that the fused threshold scores 1.0
(``1 + fused distance - fused threshold``: the same order, the same operating point); for
the ``fused`` one the better of that and dlib's distance / threshold, as dlib's own
acceptance stands under that rule (:func:`.metrics.either_score`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from models.fusion_params import FusionParams

from ..config import FUSED_RULES
from ..matching import Gallery, ModelMatch, identify
from ..matching.fused import fused_faces
from .metrics import either_score, fused_score
from .observe import ObservedFrame
from .record import Configuration

Scores = tuple[NDArray[np.float64], NDArray[np.float64]]


def open_set_scores(
    frames: Sequence[ObservedFrame],
    galleries: Mapping[int, Mapping[str, Gallery]],
    rosters: Mapping[int, set[int]],
    student_ids: Mapping[str, int],
    thresholds: Mapping[str, float],
    configs: Sequence[Configuration],
    fusion: FusionParams | None = None,
) -> dict[str, Scores]:
    """(mated, non-mated) scores per configuration name.

    ``galleries`` maps course index to its galleries by model name (every model of
    ``configs``); ``rosters`` course index to its student ids; ``fusion`` the parameters of
    a ``fused`` configuration.
    """
    mated: dict[str, list[float]] = {c.name: [] for c in configs}
    non_mated: dict[str, list[float]] = {c.name: [] for c in configs}
    models = sorted({m for c in configs for m in c.models})
    for frame in frames:
        keep = [i for i, f in enumerate(frame.faces) if f.truth is not None]
        if not keep:
            continue
        for course, by_model in galleries.items():
            matches: dict[str, list[ModelMatch]] = {
                m: identify(by_model[m], frame.embeddings[m][keep], thresholds[m])
                for m in models
            }
            fused = (fused_faces(by_model, {m: frame.embeddings[m][keep]
                                            for m in ("dlib", "inhouse")}, fusion)
                     if fusion is not None and any(c.rule in FUSED_RULES for c in configs)
                     else None)
            for row, i in enumerate(keep):
                truth = frame.faces[i].truth
                person = student_ids.get(truth.label) if truth is not None else None
                is_mated = person is not None and person in rosters[course]
                for config in configs:
                    if config.rule in FUSED_RULES and len(config.models) > 1:
                        if fused is None:
                            raise ValueError("a fused configuration needs fusion parameters")
                        best = fused[row].fused
                        candidate = best.student_id
                        score = 1.0 + best.distance - best.threshold
                        if config.rule == "fused":
                            dlib = matches["dlib"][row]
                            candidate, score = either_score(
                                [candidate, dlib.student_id],
                                [score, dlib.distance / thresholds["dlib"]])
                    else:
                        picked = [matches[m][row] for m in config.models]
                        candidate, score = fused_score(
                            [p.student_id for p in picked], [p.distance for p in picked],
                            [thresholds[m] for m in config.models])
                    if is_mated:
                        mated[config.name].append(score if candidate == person else math.inf)
                    else:
                        non_mated[config.name].append(score)
    return {c.name: (np.asarray(mated[c.name], dtype=np.float64),
                     np.asarray(non_mated[c.name], dtype=np.float64)) for c in configs}


__all__ = ["Scores", "open_set_scores"]
