"""Combining the per-model verdicts on one face into one decision.

Rules (``settings.fusion_rule``):

- ``fused`` (the default): one calibrated score from both models' distances to each
  candidate (:mod:`attendance.matching.fused`); the candidate with the best fused score is
  accepted at or below ``fused_threshold``, and so is dlib's nearest student at or below
  dlib's own threshold: the in-house model can add a student dlib misses, and can overrule
  dlib only by the fused score accepting someone else. A student with only one model's
  embeddings is judged by that model's own threshold. When two of these accept different
  students, the face stays unknown (and goes to the review queue), and so does a face whose
  fused scores for its two nearest students are within ``fused_margin`` of each other,
  whatever accepts it (a look-alike of one of them, mostly);
- ``fused_score``: the fused score alone (with the one-model students as above): it accepts
  fewer strangers per face than ``fused``, but turns down some faces dlib accepts, and in the
  classroom benchmark it marked fewer students present than dlib alone;
- ``both``: every enabled model must accept, and accept the same student (fewest false
  accepts; a face one model cannot place stays unknown);
- ``either``: any accepting model suffices, provided the accepting models do not name
  different students (then the face stays unknown: a conflict is never resolved by guessing);
- ``dlib`` / ``inhouse``: that model alone decides, the other is only reported.

With one model enabled, that model decides whatever the rule says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from models.fusion_params import FusionParams

from ..config import FUSED_RULES, FUSION_RULES
from .fused import FusedFace, FusedMatch, fused_faces
from .identify import ModelMatch, identify
from .roster import Gallery


@dataclass(frozen=True)
class Decision:
    """The verdict on one face: ``student_id`` or ``None`` (unknown), with its evidence."""

    student_id: int | None
    rule: str
    #: Per-model verdicts, by model name, in the order the models are configured.
    matches: Mapping[str, ModelMatch]
    #: Short readable explanation, e.g. ``"both models accept"`` or ``"dlib: no match"``.
    reason: str
    #: The fused score (``fused`` rule with both models), else None.
    fused: FusedMatch | None = None


def fuse(matches: Mapping[str, ModelMatch], rule: str) -> Decision:
    """Decide one face from its per-model ``matches`` (by model name) under ``rule``."""
    if rule not in FUSION_RULES:
        raise ValueError(f"unknown fusion rule {rule!r}; valid: {', '.join(FUSION_RULES)}")
    if not matches:
        raise ValueError("no model verdicts to fuse")
    if rule in FUSED_RULES and len(matches) > 1:
        raise ValueError("the fused rules need every candidate's distances: use decide_faces")
    if len(matches) == 1 or rule in matches:
        name = rule if rule in matches else next(iter(matches))
        match = matches[name]
        reason = f"{name} accepts" if match.accepted else f"{name}: no match"
        return Decision(match.decision, rule, matches, reason)
    accepted = {name: m.student_id for name, m in matches.items() if m.accepted}
    named = set(accepted.values())
    if rule == "both":
        if len(accepted) == len(matches) and len(named) == 1:
            return Decision(named.pop(), rule, matches, "all models accept the same student")
        if len(named) > 1:
            return Decision(None, rule, matches, "models name different students")
        refusing = ", ".join(name for name in matches if name not in accepted)
        return Decision(None, rule, matches, f"{refusing}: no match")
    # either (a rule naming a model that is not enabled cannot reach here with two models)
    if len(named) == 1:
        return Decision(named.pop(), rule, matches, f"accepted by {', '.join(accepted)}")
    if len(named) > 1:
        return Decision(None, rule, matches, "models name different students")
    return Decision(None, rule, matches, "no model matches")


def decide_faces(
    galleries: Mapping[str, Gallery],
    embeddings: Mapping[str, NDArray[np.float32]],
    thresholds: Mapping[str, float],
    rule: str,
    fusion: FusionParams | None = None,
) -> list[Decision]:
    """Identify and fuse a batch of faces.

    ``embeddings`` maps each model name to its (faces, dimension) array for the same faces
    in the same order; ``galleries`` and ``thresholds`` are keyed by model name. The
    fused rules with two models need ``fusion``
    (:func:`attendance.matching.calibration.fusion_for`).
    """
    per_model: dict[str, Sequence[ModelMatch]] = {
        name: identify(galleries[name], vectors, thresholds[name])
        for name, vectors in embeddings.items()
    }
    counts = {len(v) for v in per_model.values()}
    if len(counts) > 1:
        raise ValueError(f"models embedded different numbers of faces: {counts}")
    faces = counts.pop() if counts else 0
    if rule in FUSED_RULES and len(per_model) > 1:
        if fusion is None:
            raise ValueError(f"the {rule} rule needs fusion parameters (calibration.fusion_for)")
        scored = fused_faces(galleries, embeddings, fusion)
        return [_decide_fused({name: per_model[name][i] for name in per_model}, scored[i],
                              thresholds, rule) for i in range(faces)]
    return [fuse({name: per_model[name][i] for name in per_model}, rule) for i in range(faces)]


def _decide_fused(matches: Mapping[str, ModelMatch], face: FusedFace,
                  thresholds: Mapping[str, float], rule: str) -> Decision:
    """The verdict of a fused rule: the fused candidate, a one-model student, and under
    ``fused`` dlib's own match (module docstring)."""
    fused = face.fused
    accepted: dict[int, str] = {}
    if fused.accepted and fused.student_id is not None:
        accepted[fused.student_id] = f"fused score accepts (p={fused.probability:.3f})"
    for name, (student_id, distance) in face.single.items():
        if distance <= thresholds[name] and student_id not in accepted:
            accepted[student_id] = f"{name} accepts (the student has only {name} embeddings)"
    dlib = matches.get("dlib")
    if rule == "fused" and dlib is not None and dlib.accepted and dlib.student_id is not None:
        accepted.setdefault(dlib.student_id,
                            f"dlib accepts at its threshold (fused p={fused.probability:.3f})")
    if accepted and fused.ambiguous:
        return Decision(None, rule, matches,
                        f"the fused score cannot tell two students apart (runner-up "
                        f"{fused.runner_up_distance - fused.distance:.2f} behind, under the "
                        f"margin {fused.margin:g})", fused)
    if len(accepted) == 1:
        student_id, reason = accepted.popitem()
        return Decision(student_id, rule, matches, reason, fused)
    if accepted:
        return Decision(None, rule, matches, "the fused score and a model's own match name "
                        "different students", fused)
    if fused.student_id is None:
        return Decision(None, rule, matches, "no match", fused)
    return Decision(None, rule, matches,
                    f"fused score too low (p={fused.probability:.3f})", fused)


__all__ = ["Decision", "decide_faces", "fuse"]
