"""Benchmark figures: attendance outcomes per session, and open-set identification errors.

Attendance (per class session, summed over sessions):

- *recall*: attending roster students whose record ends present or late, over all attending;
- *false presence*: roster students who did not attend but end present or late (whoever's
  face produced the sightings: a non-roster walk-in or another student), over all absent;
- *wrong person*: faces identified as a student who is not the person shown.

Open-set identification on individual faces (ISO/IEC 19795-1 terms): a *mated* search is a
face of someone in the gallery, a *non-mated* search a face of someone who is not. Each search
has a score (a distance: lower is more alike); at threshold ``t`` a mated search is a false
negative unless its top candidate is the right person with score <= t (FNIR), and a
non-mated search is a false positive when its top score is <= t (FPIR). Scores of mated
searches whose top candidate is wrong are ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class AttendanceCounts:
    """Attendance outcomes summed over sessions (counts of students)."""

    attending: int = 0
    recalled: int = 0
    absent: int = 0
    false_presence: int = 0

    def __add__(self, other: AttendanceCounts) -> AttendanceCounts:
        return AttendanceCounts(
            self.attending + other.attending,
            self.recalled + other.recalled,
            self.absent + other.absent,
            self.false_presence + other.false_presence,
        )

    @property
    def recall(self) -> float:
        """Attending students marked present or late, fraction (nan with none attending)."""
        return self.recalled / self.attending if self.attending else math.nan

    @property
    def false_presence_rate(self) -> float:
        """Absent students marked present or late, fraction of absent (nan with none)."""
        return self.false_presence / self.absent if self.absent else math.nan


def session_counts(
    attending: Iterable[int], roster: Iterable[int], marked: Iterable[int]
) -> AttendanceCounts:
    """Counts for one session: ``attending`` and ``roster`` are student ids (attending is a
    subset of the roster), ``marked`` those whose record ended present or late."""
    came, everyone, seen = set(attending), set(roster), set(marked)
    if not came <= everyone:
        raise ValueError("attending students must be on the roster")
    absent = everyone - came
    return AttendanceCounts(len(came), len(came & seen), len(absent), len(absent & seen))


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes, 0-1."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    area = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / area if area > 0 else 0.0


def match_boxes(
    truth: Sequence[Box], found: Sequence[Box], min_iou: float = 0.3
) -> list[int | None]:
    """For each ``found`` box, the index of the ground-truth box it detects (None for a
    false detection). Greedy by IoU, one detection per truth box; ``min_iou`` 0-1."""
    pairs = sorted(
        ((box_iou(t, f), ti, fi) for ti, t in enumerate(truth) for fi, f in enumerate(found)),
        reverse=True,
    )
    result: list[int | None] = [None] * len(found)
    used: set[int] = set()
    for iou, ti, fi in pairs:
        if iou < min_iou:
            break
        if ti in used or result[fi] is not None:
            continue
        used.add(ti)
        result[fi] = ti
    return result


@dataclass(frozen=True)
class OpenSetPoint:
    """FNIR at the threshold where FPIR first reaches at most ``target_fpir``.

    ``threshold`` is that score threshold (None when there are no non-mated searches);
    ``fpir`` is the FPIR actually reached (<= target); ``resolvable`` is False when there are
    fewer than 1/target non-mated searches, so the target cannot really be measured.
    """

    target_fpir: float
    fnir: float
    fpir: float
    threshold: float | None
    mated: int
    non_mated: int

    @property
    def resolvable(self) -> bool:
        return self.non_mated * self.target_fpir >= 1.0


def fnir_at_fpir(
    mated_scores: Sequence[float] | NDArray[np.float64],
    non_mated_scores: Sequence[float] | NDArray[np.float64],
    target_fpir: float,
) -> OpenSetPoint:
    """FNIR at the largest threshold whose FPIR is <= ``target_fpir`` (0-1).

    A search is accepted when its score is <= the threshold; with ``n`` non-mated scores at
    most ``floor(target * n)`` of them may be accepted, so the threshold lies just below
    the next non-mated score.
    """
    mated = np.asarray(mated_scores, dtype=np.float64)
    non_mated = np.sort(np.asarray(non_mated_scores, dtype=np.float64))
    if len(non_mated) == 0:
        return OpenSetPoint(target_fpir, math.nan, math.nan, None, len(mated), 0)
    allowed = math.floor(target_fpir * len(non_mated) + 1e-9)
    if allowed >= len(non_mated) or not math.isfinite(non_mated[allowed]):
        threshold = math.inf
        accepted_mated = np.isfinite(mated)
        accepted_non = np.isfinite(non_mated)
    else:
        limit = float(non_mated[allowed])
        threshold = float(np.nextafter(limit, -math.inf))
        accepted_mated = mated < limit
        accepted_non = non_mated < limit
    fnir = 1.0 - float(accepted_mated.mean()) if len(mated) else math.nan
    return OpenSetPoint(target_fpir, fnir, float(accepted_non.mean()), threshold,
                        len(mated), len(non_mated))


def det_points(
    mated_scores: Sequence[float] | NDArray[np.float64],
    non_mated_scores: Sequence[float] | NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """The DET curve: (thresholds, FPIR, FNIR) at every distinct finite score, ascending.

    At threshold ``t``: FPIR = share of non-mated scores <= t, FNIR = share of mated scores
    > t. Empty arrays when there are no finite scores.
    """
    mated = np.sort(np.asarray(mated_scores, dtype=np.float64))
    non_mated = np.sort(np.asarray(non_mated_scores, dtype=np.float64))
    every = np.concatenate([mated, non_mated])
    thresholds = np.unique(every[np.isfinite(every)])
    fpir = (np.searchsorted(non_mated, thresholds, side="right") / len(non_mated)
            if len(non_mated) else np.full(len(thresholds), math.nan))
    fnir = (1.0 - np.searchsorted(mated, thresholds, side="right") / len(mated)
            if len(mated) else np.full(len(thresholds), math.nan))
    return thresholds, fpir.astype(np.float64), fnir.astype(np.float64)


def fused_score(
    candidates: Sequence[int | None], distances: Sequence[float], thresholds: Sequence[float]
) -> tuple[int | None, float]:
    """One search's (candidate, score) from several models' top candidates and distances.

    Each distance is divided by its model's threshold, so a score <= 1 is the configured
    operating point of every model at once; the score is the largest of them (the "both"
    rule: every model must accept) and ``inf`` when the models name different people.
    """
    if not candidates or len(set(candidates)) != 1 or candidates[0] is None:
        return None, math.inf
    score = max(d / t for d, t in zip(distances, thresholds, strict=True))
    return candidates[0], score


def either_score(
    candidates: Sequence[int | None], scores: Sequence[float]
) -> tuple[int | None, float]:
    """One search's (candidate, score) when any of several scores may accept it, each scaled
    so that 1.0 is its operating point (the ``fused`` rule: the fused score or dlib's own).

    The best score names its candidate. When two different candidates both score within
    1.0, the rule names nobody: the candidate is None (a mated search is missed), and the
    best score still counts against FPIR for a non-mated one.
    """
    scored = [(s, c) for c, s in zip(candidates, scores, strict=True) if c is not None]
    if not scored:
        return None, math.inf
    best, candidate = min(scored)
    if len({c for s, c in scored if s <= 1.0}) > 1:
        return None, best
    return candidate, best


__all__ = [
    "AttendanceCounts",
    "OpenSetPoint",
    "box_iou",
    "det_points",
    "either_score",
    "fnir_at_fpir",
    "fused_score",
    "match_boxes",
    "session_counts",
]
