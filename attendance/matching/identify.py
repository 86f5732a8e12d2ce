"""Open-set identification: who in the roster is this face, if anyone?

The distance from a face to a student is the smallest Euclidean distance to any of that
student's stored embeddings (nearest neighbour over all photos), not the distance to the mean
of their photos. Why:

- one poor enrollment photo (turned head, odd light) cannot drag a student's whole
  representation away from their good photos; it only adds one more chance of a match;
- the distance compared with the threshold is a photo-to-photo distance, exactly what the
  thresholds are calibrated on (LFW verification pairs). Distances to a centroid are
  systematically smaller, so the same threshold lets in more strangers.

Measured with dlib on LFW (40 people enrolled from 3 photos, 200 other photos of them, 79
people never enrolled): at 0.50 the nearest-neighbour rule identified 95.5% of the genuine
photos, named a wrong student for none and accepted 1 stranger; the centroid identified 96.0%
but named a wrong student twice (1 stranger). At 0.55: 97.0%, 1 wrong, 3 strangers against
97.5%, 2 wrong, 9 strangers; at 0.60: 23 against 30 strangers accepted.

The nearest student is accepted only when that distance is at or below the model's threshold;
otherwise the face is unknown (people outside the roster are the common case).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from models.cnn.cohort import Cohort, CohortStats, asnorm_matrix

from .roster import Gallery

#: Each gallery's photos' cohort statistics, computed once per gallery (a class session
#: loads its galleries once and matches every frame against them).
_GALLERY_STATS: weakref.WeakKeyDictionary[Gallery, tuple[Cohort, CohortStats]] = (
    weakref.WeakKeyDictionary())


@dataclass(frozen=True)
class ModelMatch:
    """One model's verdict on one face.

    ``student_id`` is the nearest student (``None`` when the gallery is empty), ``distance``
    the Euclidean distance to them (``inf`` when none), ``runner_up_distance`` the distance
    to the second-nearest student. ``accepted`` is ``distance <= threshold``.
    """

    model_name: str
    model_version: str
    threshold: float
    student_id: int | None
    distance: float
    runner_up_distance: float
    accepted: bool

    @property
    def decision(self) -> int | None:
        """The identified student, or ``None`` for unknown."""
        return self.student_id if self.accepted else None


def student_distances(
    gallery: Gallery, embeddings: NDArray[np.float32], cohort: Cohort | None = None
) -> NDArray[np.float32]:
    """(faces, students) matrix: each face's distance to each of ``gallery.students``.

    ``embeddings`` is (faces, dimension) from the gallery's model; each entry is the minimum
    over that student's photos. With ``cohort`` (of the gallery's model), each photo pair is
    scored by its cohort-normalised distance (:func:`models.cnn.cohort.asnorm_matrix`, a z-like
    score, not a distance) before the minimum is taken.
    """
    queries = np.asarray(embeddings, dtype=np.float32).reshape(-1, gallery.dimension)
    if len(gallery) == 0:
        return np.zeros((len(queries), 0), dtype=np.float32)
    # |q - v|^2 = |q|^2 + |v|^2 - 2 q.v : one matrix product instead of a (F, N, D) array.
    squared = (
        np.einsum("ij,ij->i", queries, queries)[:, None]
        + gallery.sq_norms[None, :]
        - 2.0 * (queries @ gallery.vectors.T)
    )
    per_photo = np.sqrt(np.maximum(squared, 0.0, dtype=np.float32))
    if cohort is not None:
        per_photo = asnorm_matrix(per_photo, cohort.stats(queries),
                                  _photo_stats(gallery, cohort)).astype(np.float32)
    result: NDArray[np.float32] = np.minimum.reduceat(per_photo, gallery.starts, axis=1)
    return result


def _photo_stats(gallery: Gallery, cohort: Cohort) -> CohortStats:
    cached = _GALLERY_STATS.get(gallery)
    if cached is not None and cached[0] is cohort:
        return cached[1]
    stats = cohort.stats(gallery.vectors)
    _GALLERY_STATS[gallery] = (cohort, stats)
    return stats


def identify(
    gallery: Gallery, embeddings: NDArray[np.float32], threshold: float
) -> list[ModelMatch]:
    """Identify each row of ``embeddings`` (faces x dimension) against ``gallery``.

    ``threshold`` is the model's acceptance distance: lower is stricter (fewer strangers
    taken for a student, more students left unrecognised).
    """
    queries = np.asarray(embeddings, dtype=np.float32)
    matches: list[ModelMatch] = []
    if len(gallery) == 0:
        for _ in range(len(queries)):
            matches.append(ModelMatch(gallery.model_name, gallery.model_version, threshold,
                                      None, math.inf, math.inf, False))
        return matches
    distances = student_distances(gallery, queries)
    # Only the nearest two matter: a partial sort is O(students), not O(students log students).
    if distances.shape[1] > 2:
        nearest = np.argpartition(distances, 1, axis=1)[:, :2]
    else:
        nearest = np.argsort(distances, axis=1)
    for row, pair in zip(distances, nearest, strict=True):
        ranked = sorted(pair.tolist(), key=lambda column: (row[column], column))
        best = ranked[0]
        runner_up = float(row[ranked[1]]) if len(ranked) > 1 else math.inf
        distance = float(row[best])
        matches.append(ModelMatch(
            model_name=gallery.model_name,
            model_version=gallery.model_version,
            threshold=threshold,
            student_id=int(gallery.students[best]),
            distance=distance,
            runner_up_distance=runner_up,
            accepted=distance <= threshold,
        ))
    return matches


__all__ = ["ModelMatch", "identify", "student_distances"]
