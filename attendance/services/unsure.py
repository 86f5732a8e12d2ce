"""Which sightings need a teacher: the per-model figures stored with a sighting, and the rule
that calls a sighting *unsure*.

A sighting is *unsure* when, for some model in its evidence, the nearest student (the
model's ``candidate``) lies just beyond the acceptance threshold — distance in
(``threshold``, ``threshold + REVIEW_MARGIN``] — or when the models disagree (one accepts
and another does not, or they name different candidates). Unsure sightings go to the review
queue (``attendance.services.review_queue``), and the camera worker keeps their face
thumbnail for ``review_thumbnail_retention_days`` so the teacher sees the face they judge.

Pure functions over the stored JSON: the worker, the retention purge and the dashboard all
classify a sighting the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Distances this far beyond a model's threshold are close enough to ask a teacher (the
#: "reject threshold" is ``threshold + REVIEW_MARGIN``; farther means clearly someone else).
REVIEW_MARGIN = 0.1


@dataclass(frozen=True)
class ModelEvidence:
    """One model's figures on a sighting (``distance`` None when its gallery was empty)."""

    model: str
    distance: float | None
    threshold: float | None
    version: str
    candidate: int | None
    accepted: bool


def model_evidence(evidence: Mapping[str, Any]) -> list[ModelEvidence]:
    """The per-model entries of a sighting's ``evidence`` JSON, by model name."""
    out = []
    for model, raw in sorted(evidence.items()):
        if not isinstance(raw, Mapping):
            continue
        distance, threshold = raw.get("distance"), raw.get("threshold")
        distance = float(distance) if isinstance(distance, int | float) else None
        threshold = float(threshold) if isinstance(threshold, int | float) else None
        candidate = raw.get("candidate")
        accepted = raw.get("accepted")
        if accepted is None:  # older evidence: accepted means within the threshold
            accepted = distance is not None and threshold is not None and distance <= threshold
        out.append(ModelEvidence(model, distance, threshold, str(raw.get("version", "")),
                                 candidate if isinstance(candidate, int) else None,
                                 bool(accepted)))
    return out


#: Why a sighting is unsure when the models each name someone else (shown to teachers).
DIFFERENT_STUDENTS = "models name different students"


def unsure(evidence: list[ModelEvidence], assigned: int | None) -> tuple[int, str] | None:
    """(candidate student, reason) when the sighting needs a teacher, else None.

    ``assigned`` is the student the sighting counts for (None: an unknown face); when set,
    it is the candidate the teacher is asked about."""
    named = {e.candidate for e in evidence if e.candidate is not None}
    accepting = [e for e in evidence if e.accepted]
    if len(evidence) > 1 and accepting and len(accepting) < len(evidence):
        candidate = assigned or accepting[0].candidate
        if candidate is not None:
            refusing = ", ".join(e.model for e in evidence if not e.accepted)
            return candidate, f"models disagree: {refusing} did not accept"
    if len(named) > 1:
        candidate = assigned or _closest(evidence)
        if candidate is not None:
            return candidate, DIFFERENT_STUDENTS
    for e in evidence:
        if (e.candidate is not None and e.distance is not None and e.threshold is not None
                and e.threshold < e.distance <= e.threshold + REVIEW_MARGIN):
            return assigned or e.candidate, (
                f"{e.model} distance {e.distance:.3f} just above its threshold {e.threshold:.2f}")
    return None


def is_unsure(evidence: Mapping[str, Any] | None, assigned: int | None) -> bool:
    """Whether a sighting with this stored ``evidence`` JSON goes to the review queue."""
    return unsure(model_evidence(evidence or {}), assigned) is not None


def closeness(evidence: list[ModelEvidence], candidate: int) -> float:
    """How close the sighting is to ``candidate``: the smallest ``distance - threshold``
    among the models naming them (negative: accepted with room to spare). Lower is a better
    likeness; ``inf`` when no model gives a figure about them."""
    scores = [e.distance - e.threshold for e in evidence
              if e.candidate == candidate and e.distance is not None and e.threshold is not None]
    return min(scores, default=float("inf"))


def _closest(evidence: list[ModelEvidence]) -> int | None:
    scored = [(e.distance - e.threshold, e.candidate) for e in evidence
              if e.candidate is not None and e.distance is not None and e.threshold is not None]
    return min(scored)[1] if scored else None


__all__ = ["DIFFERENT_STUDENTS", "REVIEW_MARGIN", "ModelEvidence", "closeness", "is_unsure",
           "model_evidence", "unsure"]
