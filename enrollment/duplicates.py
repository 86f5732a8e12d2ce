"""Is a new photo already somebody else? The enrollment-time duplicate check, in two tiers.

Every enabled model compares the photo's embedding with every stored embedding of the same
model name and version belonging to any *other* student (active or not).

* **Duplicate**: a distance at or below that model's strict duplicate threshold
  (``settings.<model>_duplicate_threshold``) from any one model. Almost surely the same
  person: one student enrolled under two numbers, or a photo filed under the wrong student.
  Refused; only an admin overrides it.
* **Look-alike**: no duplicate, but recognition itself would take the photo for that other
  student (each model's matching threshold ``settings.<model>_threshold``, combined by
  ``settings.fusion_rule``, with the fused rules' calibrated score, exactly as the camera
  and ``attendance identify`` do). Twins and
  siblings land here, and so does a third photo of an enrolled student filed as someone new.
  Stored only once the enroller confirms it shows a different person (audited), because
  otherwise the camera could name either of the two for that face.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.config import FUSED_RULES, Settings
from attendance.crypto import TemplateCipher
from attendance.db import Student
from attendance.matching import Gallery, decide_faces, fusion_for, identify, load_gallery
from attendance.messages import Message
from models.fusion_params import FusionParams


class Tier(enum.StrEnum):
    """How close a photo is to another student (module docstring)."""

    DUPLICATE = "duplicate"
    LOOKALIKE = "lookalike"


@dataclass(frozen=True)
class DuplicateMatch:
    """The enrolled student a photo looks like, by one model."""

    student_id: int
    student_number: str
    display_name: str
    model_name: str
    #: Euclidean distance between the photo and the student's nearest stored photo.
    distance: float
    #: The threshold the distance is at or below: the model's duplicate threshold for a
    #: duplicate, its matching threshold for a look-alike.
    threshold: float
    tier: Tier = Tier.DUPLICATE

    def describe(self, *, named: bool = True) -> str:
        """"looks like <number> <name> (<model> distance d, <kind> threshold t)"; without
        ``named`` the student is not identified."""
        who: str = (f"{self.student_number} {self.display_name}" if named
                     else Message("a student enrolled in another class"))
        if self.tier is Tier.DUPLICATE:
            return Message("looks like %(who)s (%(model)s distance %(distance).3f, duplicate "
                           "threshold %(threshold).3f)", who=who, model=self.model_name,
                           distance=self.distance, threshold=self.threshold)
        return Message("looks like %(who)s (%(model)s distance %(distance).3f, match threshold "
                       "%(threshold).3f)", who=who, model=self.model_name,
                       distance=self.distance, threshold=self.threshold)


class DuplicateIndex:
    """Everyone else's embeddings, loaded once per enrollment and checked per photo.

    It holds plain data only (no database session), so the checks run after the read
    transaction that loaded it has ended.
    """

    def __init__(self, galleries: Mapping[str, Gallery], thresholds: Mapping[str, float],
                 people: Mapping[int, tuple[str, str]],
                 match_thresholds: Mapping[str, float] | None = None,
                 rule: str = "both", fusion: FusionParams | None = None) -> None:
        self._galleries = dict(galleries)
        self._thresholds = dict(thresholds)
        #: Each model's matching threshold (None: no look-alike tier) and the fusion rule.
        self._match = dict(match_thresholds) if match_thresholds is not None else None
        self._rule = rule
        self._fusion = fusion
        #: student id -> (student number, display name) of everyone in the galleries.
        self._people = dict(people)

    @classmethod
    def load(cls, session: Session, settings: Settings, model_versions: Mapping[str, str],
             *, exclude_student_id: int | None) -> DuplicateIndex:
        """Load the embeddings of every student except ``exclude_student_id``."""
        galleries = load_gallery(session, None, model_versions, active_only=False,
                                 cipher=TemplateCipher.from_settings(settings))
        if exclude_student_id is not None:
            galleries = {name: _without(g, exclude_student_id) for name, g in galleries.items()}
        thresholds = {name: settings.duplicate_threshold_for(name) for name in model_versions}
        match = {name: settings.threshold_for(name) for name in model_versions}
        ids = {int(i) for g in galleries.values() for i in g.student_ids}
        people: dict[int, tuple[str, str]] = {}
        if ids:
            rows = session.execute(select(Student.id, Student.student_number,
                                          Student.display_name))
            people = {r.id: (r.student_number, r.display_name) for r in rows if r.id in ids}
        return cls(galleries, thresholds, people, match, settings.fusion_rule,
                   fusion_for(settings, model_versions))

    def nearest(self, embeddings: Mapping[str, NDArray[np.float32]]) -> DuplicateMatch | None:
        """The other student the photo is a duplicate of (under any model's duplicate
        threshold), else the one it would be recognised as (a look-alike), else ``None``.

        ``embeddings`` maps model name to the photo's 1-D embedding. When several models
        flag a duplicate, the one with the smallest distance relative to its threshold wins.
        """
        found: list[tuple[float, str, int, float]] = []
        for name, vector in embeddings.items():
            gallery = self._galleries.get(name)
            if gallery is None or len(gallery) == 0:
                continue
            match = identify(gallery, vector.reshape(1, -1), self._thresholds[name])[0]
            if match.accepted and match.student_id is not None:
                found.append((match.distance / match.threshold, name, match.student_id,
                              match.distance))
        if not found:
            return self._lookalike(embeddings)
        _, name, student_id, distance = min(found)
        return self._match_of(student_id, name, distance, self._thresholds[name],
                              Tier.DUPLICATE)

    def _lookalike(self, embeddings: Mapping[str, NDArray[np.float32]]) -> DuplicateMatch | None:
        """The student recognition would name for the photo (module docstring), or None."""
        if self._match is None:
            return None
        vectors = {name: vector.reshape(1, -1) for name, vector in embeddings.items()
                   if len(self._galleries.get(name) or ()) > 0}
        if not vectors:
            return None
        rule = self._rule
        if rule in FUSED_RULES and len(vectors) < len(embeddings):
            rule = next(iter(vectors))  # nobody has the other model's embeddings: this decides
        galleries = {name: self._galleries[name] for name in vectors}
        decision = decide_faces(galleries, vectors, self._match, rule, self._fusion)[0]
        student_id, matches = decision.student_id, decision.matches
        if student_id is None:
            return None
        # Reported: the model closest to the student relative to its threshold (accepting
        # ones first: under the fused rule neither model need accept on its own).
        naming = [(not m.accepted, m.distance / m.threshold, n)
                  for n, m in matches.items() if m.student_id == student_id]
        if not naming and decision.fused is not None:  # only the fused score names them
            return self._match_of(student_id, "fused", decision.fused.distance,
                                  decision.fused.threshold, Tier.LOOKALIKE)
        _, _, name = min(naming)
        return self._match_of(student_id, name, matches[name].distance, self._match[name],
                              Tier.LOOKALIKE)

    def _match_of(self, student_id: int, model_name: str, distance: float, threshold: float,
                  tier: Tier) -> DuplicateMatch:
        number, display_name = self._people[student_id]
        return DuplicateMatch(student_id, number, display_name, model_name, distance,
                              threshold, tier)


def _without(gallery: Gallery, student_id: int) -> Gallery:
    keep = gallery.student_ids != student_id
    return Gallery(gallery.model_name, gallery.model_version, gallery.dimension,
                   gallery.vectors[keep], gallery.student_ids[keep])


__all__ = ["DuplicateIndex", "DuplicateMatch", "Tier"]
