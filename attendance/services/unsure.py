"""Which sightings need a teacher: the per-model figures stored with a sighting, and the rule
that calls a sighting *unsure*.

A sighting is *unsure* when, for some model in its evidence, the nearest student (the
model's ``candidate``) lies just beyond the acceptance threshold — distance in
(``threshold``, ``threshold + REVIEW_MARGIN``] — or when the models disagree (one accepts
and another does not, or they name different candidates). Unsure sightings go to the review
queue (``attendance.services.review_queue``), and the camera worker keeps their face
thumbnail for ``review_thumbnail_retention_days`` so the teacher sees the face they judge.

Under the ``fused`` rule (evidence holding a ``"fused"`` entry, ``attendance.matching.
fused``) one calibrated score decided, not the models' own thresholds, so a sighting is
unsure when that score lies just short of acceptance — fused distance in (``threshold``,
``threshold + FUSED_REVIEW_MARGIN``] — when a student was named although a model or the
fused score names someone else, when a student was named by dlib's own acceptance while
the fused score turned them down (the ``fused`` rule lets dlib's acceptance stand), or when
the face was left unknown because it looks about as much like two students (the fused
scores of the two nearest within the fit's margin; the teacher is asked about the nearest). A
stranger whose two models merely point at different nearest students, with no score near
acceptance, is not asked about.

Pure functions over the stored JSON: the worker, the retention purge and the dashboard all
classify a sighting the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..matching.fused import FUSED_KEY

#: Distances this far beyond a model's threshold are close enough to ask a teacher (the
#: "reject threshold" is ``threshold + REVIEW_MARGIN``; farther means clearly someone else).
REVIEW_MARGIN = 0.1
#: The same for the fused distance (minus a logit): at the shipped v1 threshold -2.89
#: (p(same) >= 0.947), faces with p(same) from 0.87 up are asked about.
FUSED_REVIEW_MARGIN = 1.0


@dataclass(frozen=True)
class ModelEvidence:
    """One model's figures on a sighting (``distance`` None when its gallery was empty).

    The fused score is one of them, with ``model`` ``"fused"``, its distance in minus-logit
    units and ``probability`` its p(same person) (None for a model)."""

    model: str
    distance: float | None
    threshold: float | None
    version: str
    candidate: int | None
    accepted: bool
    probability: float | None = None
    #: The fused score only: its two nearest students were within the fit's margin.
    ambiguous: bool = False
    #: The fused score only: the second nearest student (None in older evidence).
    runner_up: int | None = None
    #: The fused score only: how much further the runner-up's fused distance is.
    runner_up_gap: float | None = None

    @property
    def fused(self) -> bool:
        """Whether this is the fused score, not a model's distance."""
        return self.model == FUSED_KEY


def model_evidence(evidence: Mapping[str, Any]) -> list[ModelEvidence]:
    """The per-model entries of a sighting's ``evidence`` JSON, by model name, then the
    fused score when there is one."""
    out = []
    for model, raw in sorted(evidence.items(), key=lambda item: (item[0] == FUSED_KEY, item[0])):
        if not isinstance(raw, Mapping):
            continue
        distance, threshold = _number(raw.get("distance")), _number(raw.get("threshold"))
        accepted = raw.get("accepted")
        if accepted is None:  # older evidence: accepted means within the threshold
            accepted = distance is not None and threshold is not None and distance <= threshold
        out.append(ModelEvidence(model, distance, threshold, str(raw.get("version", "")),
                                 student_id_of(raw.get("candidate")), bool(accepted),
                                 _number(raw.get("p")), raw.get("ambiguous") is True,
                                 student_id_of(raw.get("runner_up")), _number(raw.get("margin"))))
    return out


def _number(value: object) -> float | None:
    """A figure stored in evidence JSON (an int or a float, not a bool), else None."""
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)


def student_id_of(value: object) -> int | None:
    """A student id stored in evidence JSON (an int, not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def mentioned(evidence: list[ModelEvidence]) -> set[int]:
    """Every student the evidence names: each model's nearest and the fused runner-up."""
    return {i for e in evidence for i in (e.candidate, e.runner_up) if i is not None}


def look_alike(evidence: list[ModelEvidence], candidate: int) -> int | None:
    """The other student a face left unknown as :data:`TWO_STUDENTS_ALIKE` looks about as
    much like as ``candidate``, where the evidence names one."""
    fused = next((e for e in evidence if e.fused), None)
    if fused is None or not fused.ambiguous:
        return None
    others = {fused.runner_up, fused.candidate} - {candidate, None}
    return others.pop() if len(others) == 1 else None


#: Why a sighting is unsure when the models each name someone else (shown to teachers).
DIFFERENT_STUDENTS = "models name different students"
#: Why a face left unknown because it looks about as much like two students is unsure.
TWO_STUDENTS_ALIKE = "the face looks about as much like two students"


def unsure(evidence: list[ModelEvidence], assigned: int | None) -> tuple[int, str] | None:
    """(candidate student, reason) when the sighting needs a teacher, else None.

    ``assigned`` is the student the sighting counts for (None: an unknown face); when set,
    it is the candidate the teacher is asked about."""
    fused = next((e for e in evidence if e.fused), None)
    if fused is not None:
        return _unsure_fused(fused, evidence, assigned)
    named = {e.candidate for e in evidence if e.candidate is not None}
    accepting = [e for e in evidence if e.accepted]
    if len(evidence) > 1 and accepting and len(accepting) < len(evidence):
        candidate = assigned or accepting[0].candidate
        if candidate is not None:
            refusing = ", ".join(e.model for e in evidence if not e.accepted)
            return candidate, disagree_reason(refusing)
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


def _unsure_fused(fused: ModelEvidence, evidence: list[ModelEvidence],
                 assigned: int | None) -> tuple[int, str] | None:
    """:func:`unsure` when the fused score decided (module docstring)."""
    named = {e.candidate for e in evidence if e.candidate is not None}
    if assigned is None and fused.ambiguous and fused.candidate is not None:
        return fused.candidate, TWO_STUDENTS_ALIKE
    if assigned is not None and named - {assigned}:
        return assigned, DIFFERENT_STUDENTS
    if assigned is None and fused.accepted and fused.candidate is not None:
        return fused.candidate, DIFFERENT_STUDENTS  # a one-model match named someone else
    if assigned is not None and fused.candidate == assigned and not fused.accepted:
        return assigned, disagree_reason(FUSED_KEY)  # named by dlib's own acceptance
    if (fused.candidate is not None and fused.distance is not None
            and fused.threshold is not None
            and fused.threshold < fused.distance <= fused.threshold + FUSED_REVIEW_MARGIN):
        return assigned or fused.candidate, fused_reason(fused.probability)
    return None


def disagree_reason(refusing: str) -> str:
    """Why a sighting some of its scores did not accept is unsure (``refusing``: their names,
    comma-separated; translated by the dashboard)."""
    return f"models disagree: {refusing} did not accept"


def fused_reason(probability: float | None) -> str:
    """Why a fused score just short of acceptance is unsure (translated by the dashboard)."""
    return f"fused score just below acceptance (p {probability or 0.0:.3f})"


def is_unsure(evidence: Mapping[str, Any] | None, assigned: int | None) -> bool:
    """Whether a sighting with this stored ``evidence`` JSON goes to the review queue."""
    return unsure(model_evidence(evidence or {}), assigned) is not None


def closeness(evidence: list[ModelEvidence], candidate: int) -> float:
    """How close the sighting is to ``candidate``: the smallest ``distance - threshold``
    among the models naming them (negative: accepted with room to spare). Lower is a better
    likeness; ``inf`` when no model gives a figure about them. Where the fused score names
    them, only it counts (its units are not a model's)."""
    fused = [e for e in evidence if e.fused and e.candidate == candidate]
    scores = [e.distance - e.threshold for e in fused or evidence
              if e.candidate == candidate and e.distance is not None and e.threshold is not None]
    return min(scores, default=float("inf"))


def _closest(evidence: list[ModelEvidence]) -> int | None:
    scored = [(e.distance - e.threshold, e.candidate) for e in evidence
              if not e.fused and e.candidate is not None and e.distance is not None
              and e.threshold is not None]
    return min(scored)[1] if scored else None


__all__ = ["DIFFERENT_STUDENTS", "FUSED_REVIEW_MARGIN", "REVIEW_MARGIN", "TWO_STUDENTS_ALIKE",
           "ModelEvidence", "closeness", "disagree_reason", "fused_reason", "is_unsure",
           "look_alike", "mentioned", "model_evidence", "student_id_of", "unsure"]
