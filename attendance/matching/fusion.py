"""Combining the per-model verdicts on one face into one decision.

Rules (``settings.fusion_rule``):

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

from ..config import FUSION_RULES
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


def fuse(matches: Mapping[str, ModelMatch], rule: str) -> Decision:
    """Decide one face from its per-model ``matches`` (by model name) under ``rule``."""
    if rule not in FUSION_RULES:
        raise ValueError(f"unknown fusion rule {rule!r}; valid: {', '.join(FUSION_RULES)}")
    if not matches:
        raise ValueError("no model verdicts to fuse")
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
) -> list[Decision]:
    """Identify and fuse a batch of faces.

    ``embeddings`` maps each model name to its (faces, dimension) array for the same faces
    in the same order; ``galleries`` and ``thresholds`` are keyed by model name.
    """
    per_model: dict[str, Sequence[ModelMatch]] = {
        name: identify(galleries[name], vectors, thresholds[name])
        for name, vectors in embeddings.items()
    }
    counts = {len(v) for v in per_model.values()}
    if len(counts) > 1:
        raise ValueError(f"models embedded different numbers of faces: {counts}")
    faces = counts.pop() if counts else 0
    return [fuse({name: per_model[name][i] for name in per_model}, rule) for i in range(faces)]


__all__ = ["Decision", "decide_faces", "fuse"]
