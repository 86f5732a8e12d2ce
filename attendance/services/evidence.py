"""The evidence behind a student's mark in one class session: every sighting of them (with
each model's figures and any teacher's verdict), and their best match per model, whose
thumbnail the session page shows.

A figure may be about another student (a model's nearest was someone else, or the fused
score's runner-up): :func:`evidence_names` gives the names the page may show for them, only
of students on the course's roster with consent (``roster.nameable_students``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Camera, ReviewDecision, Sighting
from ..matching.fused import FUSED_KEY
from .roster import nameable_students
from .unsure import ModelEvidence, mentioned, model_evidence


@dataclass(frozen=True)
class EvidenceRow:
    sighting_id: int
    seen_at: datetime
    camera: str | None
    box: tuple[int, int, int, int]
    evidence: list[ModelEvidence]
    verdict: str | None
    verdict_by: str | None
    #: For finding the sighting's kept thumbnail (``attendance.thumbnail_files``).
    dedupe_key: str | None = None


def sighting_evidence(
    session: Session, class_session_id: int, student_id: int
) -> list[EvidenceRow]:
    """Every sighting of the student in the class session (or reviewed for them), by time."""
    rows = session.execute(
        select(Sighting, Camera.name, ReviewDecision)
        .outerjoin(Camera, Camera.id == Sighting.camera_id)
        .outerjoin(ReviewDecision, ReviewDecision.sighting_id == Sighting.id)
        .where(Sighting.class_session_id == class_session_id,
               (Sighting.student_id == student_id) | (ReviewDecision.student_id == student_id))
        .order_by(Sighting.seen_at, Sighting.id)
    ).tuples()
    return [
        EvidenceRow(s.id, s.seen_at, camera, (s.box_top, s.box_right, s.box_bottom, s.box_left),
                    model_evidence(s.evidence or {}), d.decision if d else None,
                    d.actor if d else None, s.dedupe_key)
        for s, camera, d in rows
    ]


def evidence_names(
    session: Session, course_id: int, evidences: Iterable[list[ModelEvidence]]
) -> dict[int, tuple[str, str]]:
    """(student number, name) by id of the students these figures are about who may be named
    in the course's pages (on its roster, with consent); anyone else stays unnamed."""
    ids = set().union(*(mentioned(e) for e in evidences))
    return {i: (s.student_number, s.display_name)
            for i, s in nameable_students(session, course_id, ids).items()}


@dataclass(frozen=True)
class ModelMatch:
    """One model's smallest distance to the student among their sightings in a session (or,
    with ``model`` ``"fused"``, the best fused score: minus-logit distance and p(same))."""

    model: str
    distance: float
    threshold: float | None
    probability: float | None = None

    @property
    def fused(self) -> bool:
        """Whether this is the fused score, not a model's distance."""
        return self.model == FUSED_KEY


@dataclass(frozen=True)
class BestMatch:
    """How close the camera's match of a student was in one class session: per model the
    smallest distance among the student's sightings, and the best sighting (smallest distance
    relative to its model's threshold; by the fused score where sightings have one), whose
    thumbnail the session page shows."""

    student_id: int
    models: list[ModelMatch]
    sighting_id: int
    seen_at: datetime
    dedupe_key: str | None


def best_matches(session: Session, class_session_id: int) -> dict[int, BestMatch]:
    """Per student with sightings in the class session, their :class:`BestMatch` (one query).

    Only figures about the student count: a model entry naming another candidate (say, on a
    sighting a teacher confirmed for this student) is skipped; sightings without any distance
    give no entry."""
    rows = session.execute(
        select(Sighting.id, Sighting.student_id, Sighting.evidence, Sighting.seen_at,
               Sighting.dedupe_key)
        .where(Sighting.class_session_id == class_session_id, Sighting.student_id.is_not(None))
        .order_by(Sighting.seen_at, Sighting.id)
    ).tuples()
    per_model: dict[int, dict[str, ModelMatch]] = {}
    # Ranked by (no fused score, distance beyond the threshold): a fused score outranks a
    # single model's, whose minus-logit units the models' distances cannot be compared with.
    best: dict[int, tuple[tuple[bool, float], int, datetime, str | None]] = {}
    for sighting_id, student_id, evidence, seen_at, dedupe_key in rows:
        if student_id is None:
            continue
        models = per_model.setdefault(student_id, {})
        for e in model_evidence(evidence or {}):
            if e.distance is None or e.candidate not in (None, student_id):
                continue
            known = models.get(e.model)
            if known is None or e.distance < known.distance:
                models[e.model] = ModelMatch(e.model, e.distance, e.threshold, e.probability)
            rank = (not e.fused,
                    e.distance - e.threshold if e.threshold is not None else e.distance)
            if student_id not in best or rank < best[student_id][0]:
                best[student_id] = (rank, sighting_id, seen_at, dedupe_key)
    return {
        student_id: BestMatch(student_id, sorted(per_model[student_id].values(),
                                                 key=lambda m: (m.fused, m.model)),
                              sighting_id, seen_at, dedupe_key)
        for student_id, (_, sighting_id, seen_at, dedupe_key) in best.items()
    }


__all__ = ["BestMatch", "EvidenceRow", "ModelMatch", "best_matches", "evidence_names",
           "sighting_evidence"]
