"""Is a new photo already somebody else? The enrollment-time duplicate check.

Every enabled model compares the photo's embedding with every stored embedding of the same
model name and version belonging to any *other* student (active or not). A distance at or
below that model's strict duplicate threshold (``settings.<model>_duplicate_threshold``,
stricter than the matching threshold) from any one model flags the photo: one student enrolled
under two numbers, or a photo filed under the wrong student, would otherwise make
identification ambiguous for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.config import Settings
from attendance.crypto import TemplateCipher
from attendance.db import Student
from attendance.matching import Gallery, identify, load_gallery


@dataclass(frozen=True)
class DuplicateMatch:
    """The enrolled student a photo looks like, by one model."""

    student_id: int
    student_number: str
    display_name: str
    model_name: str
    #: Euclidean distance between the photo and the student's nearest stored photo.
    distance: float
    #: The model's duplicate threshold the distance is at or below.
    threshold: float

    def describe(self) -> str:
        return (f"looks like {self.student_number} {self.display_name} "
                f"({self.model_name} distance {self.distance:.3f}, duplicate threshold "
                f"{self.threshold:.3f})")


class DuplicateIndex:
    """Everyone else's embeddings, loaded once per enrollment and checked per photo.

    It holds plain data only (no database session), so the checks run after the read
    transaction that loaded it has ended.
    """

    def __init__(self, galleries: Mapping[str, Gallery], thresholds: Mapping[str, float],
                 people: Mapping[int, tuple[str, str]]) -> None:
        self._galleries = dict(galleries)
        self._thresholds = dict(thresholds)
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
        ids = {int(i) for g in galleries.values() for i in g.student_ids}
        people: dict[int, tuple[str, str]] = {}
        if ids:
            rows = session.execute(select(Student.id, Student.student_number,
                                          Student.display_name))
            people = {r.id: (r.student_number, r.display_name) for r in rows if r.id in ids}
        return cls(galleries, thresholds, people)

    def nearest(self, embeddings: Mapping[str, NDArray[np.float32]]) -> DuplicateMatch | None:
        """The closest other student under any model's duplicate threshold, or ``None``.

        ``embeddings`` maps model name to the photo's 1-D embedding. When several models
        flag the photo, the one with the smallest distance relative to its threshold wins.
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
            return None
        _, name, student_id, distance = min(found)
        number, display_name = self._people[student_id]
        return DuplicateMatch(student_id, number, display_name, name, distance,
                              self._thresholds[name])


def _without(gallery: Gallery, student_id: int) -> Gallery:
    keep = gallery.student_ids != student_id
    return Gallery(gallery.model_name, gallery.model_version, gallery.dimension,
                   gallery.vectors[keep], gallery.student_ids[keep])


__all__ = ["DuplicateIndex", "DuplicateMatch"]
