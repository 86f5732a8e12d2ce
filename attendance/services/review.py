"""The review queue: sightings the recogniser was unsure about, and teachers' verdicts.

A sighting is *unsure* when, for some model in its evidence, the nearest student (the
model's ``candidate``) lies just beyond the acceptance threshold — distance in
(``threshold``, ``threshold + REVIEW_MARGIN``] — or when the models disagree (one accepts
and another does not, or they name different candidates). Sightings with a verdict leave the
queue.

Verdicts (one per sighting, audited):

* :func:`confirm_sighting` — "yes, this is X": the sighting is assigned to X and, unless it
  already counted for X, counted through :func:`attendance.services.records.count_sighting`
  (a manual mark is never changed by that).
* :func:`reject_sighting` — "not X": remembered. The camera worker should consult
  :func:`suppressed_students` for the class session and not count *unsure* sightings of those
  students automatically (they stay in the queue instead). A sighting already counted for X
  stays counted; the teacher corrects the mark on the session page if needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import (
    Camera,
    ClassSession,
    Enrollment,
    ReviewDecision,
    Sighting,
    Student,
    Verdict,
    consent_covers,
)
from ..errors import Conflict, InvalidInput, NotFound
from .audit import record_audit
from .consent import has_consent
from .records import count_sighting

#: Distances this far beyond a model's threshold are close enough to ask a teacher (the
#: "reject threshold" is ``threshold + REVIEW_MARGIN``; farther means clearly someone else).
REVIEW_MARGIN = 0.1
#: Most recent sightings of a course examined for the queue.
SCAN_LIMIT = 5000


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


def unsure(evidence: list[ModelEvidence], assigned: int | None) -> tuple[int, str] | None:
    """(candidate student, reason) when the sighting needs a teacher, else None."""
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
            return candidate, "models name different students"
    for e in evidence:
        if (e.candidate is not None and e.distance is not None and e.threshold is not None
                and e.threshold < e.distance <= e.threshold + REVIEW_MARGIN):
            return assigned or e.candidate, (
                f"{e.model} distance {e.distance:.3f} just above its threshold {e.threshold:.2f}")
    return None


@dataclass(frozen=True)
class ReviewItem:
    sighting_id: int
    class_session_id: int
    session_starts_at: datetime
    seen_at: datetime
    camera: str | None
    student_id: int
    student_number: str
    student_name: str
    reason: str
    #: The sighting already counts for this student (the recogniser accepted it).
    counted: bool
    evidence: list[ModelEvidence]


def review_queue(session: Session, course_id: int, *, limit: int = 200) -> list[ReviewItem]:
    """Unsure sightings without a verdict in the course's sessions whose candidate is on the
    roster and consents to face recognition for it, newest session first, then by time seen."""
    rows = session.execute(
        select(Sighting, ClassSession.starts_at, Camera.name)
        .join(ClassSession, ClassSession.id == Sighting.class_session_id)
        .outerjoin(Camera, Camera.id == Sighting.camera_id)
        .outerjoin(ReviewDecision, ReviewDecision.sighting_id == Sighting.id)
        .where(ClassSession.course_id == course_id, ReviewDecision.id.is_(None))
        .order_by(ClassSession.starts_at.desc(), Sighting.seen_at, Sighting.id)
        .limit(SCAN_LIMIT)
    ).tuples()
    found: list[tuple[Sighting, datetime, str | None, int, str, list[ModelEvidence]]] = []
    for sighting, starts_at, camera in rows:
        evidence = model_evidence(sighting.evidence or {})
        verdict = unsure(evidence, sighting.student_id)
        if verdict is not None:
            found.append((sighting, starts_at, camera, verdict[0], verdict[1], evidence))
    roster = {s.id: s for s in session.scalars(
        select(Student).join(Enrollment, Enrollment.student_id == Student.id)
        .where(Enrollment.course_id == course_id, consent_covers(Student.id, course_id)))}
    items = [
        ReviewItem(s.id, s.class_session_id, starts_at, s.seen_at, camera, candidate,
                   roster[candidate].student_number, roster[candidate].display_name, reason,
                   s.student_id == candidate, evidence)
        for s, starts_at, camera, candidate, reason, evidence in found if candidate in roster
    ]
    return items[:limit]


def confirm_sighting(
    session: Session, *, sighting_id: int, student_id: int, actor: str,
    min_sightings: int, user_id: int | None = None, by: Principal | None = None,
) -> ReviewDecision:
    """"Yes, this is ``student_id``": assign the sighting and count it (once). ``by`` (None:
    the operator) must be allowed to change the sighting's session."""
    sighting = _undecided(session, sighting_id, by)
    course_id = session.scalar(select(ClassSession.course_id).where(
        ClassSession.id == sighting.class_session_id))
    if course_id is None or not has_consent(session, student_id, course_id):
        raise InvalidInput("this student has no active consent to face recognition for the "
                           "course: mark them by hand on the session page instead")
    already_counted = sighting.student_id == student_id
    if not already_counted:
        count_sighting(session, class_session_id=sighting.class_session_id,
                       student_id=student_id, seen_at=sighting.seen_at,
                       min_sightings=min_sightings)
        sighting.student_id = student_id
    return _decide(session, sighting, student_id, Verdict.CONFIRMED, actor, user_id,
                   {"counted_now": not already_counted})


def reject_sighting(
    session: Session, *, sighting_id: int, student_id: int, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> ReviewDecision:
    """"Not ``student_id``": remembered; see :func:`suppressed_students`. ``by`` (None: the
    operator) must be allowed to change the sighting's session."""
    sighting = _undecided(session, sighting_id, by)
    return _decide(session, sighting, student_id, Verdict.REJECTED, actor, user_id,
                   {"was_counted": sighting.student_id == student_id})


def suppressed_students(session: Session, class_session_id: int) -> frozenset[int]:
    """Students a teacher said "not X" about in this class session. For the camera worker:
    do not count unsure sightings of them automatically in this session."""
    return frozenset(session.scalars(
        select(ReviewDecision.student_id)
        .join(Sighting, Sighting.id == ReviewDecision.sighting_id)
        .where(Sighting.class_session_id == class_session_id,
               ReviewDecision.decision == Verdict.REJECTED.value)
    ))


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


@dataclass(frozen=True)
class ModelMatch:
    """One model's smallest distance to the student among their sightings in a session."""

    model: str
    distance: float
    threshold: float | None


@dataclass(frozen=True)
class BestMatch:
    """How close the camera's match of a student was in one class session: per model the
    smallest distance among the student's sightings, and the best sighting (smallest distance
    relative to its model's threshold), whose thumbnail the session page shows."""

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
    best: dict[int, tuple[float, int, datetime, str | None]] = {}
    for sighting_id, student_id, evidence, seen_at, dedupe_key in rows:
        if student_id is None:
            continue
        models = per_model.setdefault(student_id, {})
        for e in model_evidence(evidence or {}):
            if e.distance is None or e.candidate not in (None, student_id):
                continue
            known = models.get(e.model)
            if known is None or e.distance < known.distance:
                models[e.model] = ModelMatch(e.model, e.distance, e.threshold)
            score = e.distance - e.threshold if e.threshold is not None else e.distance
            if student_id not in best or score < best[student_id][0]:
                best[student_id] = (score, sighting_id, seen_at, dedupe_key)
    return {
        student_id: BestMatch(student_id, sorted(per_model[student_id].values(),
                                                 key=lambda m: m.model),
                              sighting_id, seen_at, dedupe_key)
        for student_id, (_, sighting_id, seen_at, dedupe_key) in best.items()
    }


def _closest(evidence: list[ModelEvidence]) -> int | None:
    scored = [(e.distance - e.threshold, e.candidate) for e in evidence
              if e.candidate is not None and e.distance is not None and e.threshold is not None]
    return min(scored)[1] if scored else None


def _undecided(session: Session, sighting_id: int, by: Principal | None) -> Sighting:
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        raise NotFound(f"no sighting with id {sighting_id}")
    access.load_class_session(session, by, Action.CHANGE_SESSION, sighting.class_session_id)
    if session.scalar(select(ReviewDecision.id)
                      .where(ReviewDecision.sighting_id == sighting_id)) is not None:
        raise Conflict("this sighting was already reviewed; reload the page")
    return sighting


def _decide(
    session: Session, sighting: Sighting, student_id: int, verdict: Verdict, actor: str,
    user_id: int | None, details: dict[str, Any],
) -> ReviewDecision:
    class_session = session.get(ClassSession, sighting.class_session_id)
    if class_session is None or session.get(
            Enrollment, (class_session.course_id, student_id)) is None:
        raise InvalidInput(f"student {student_id} is not on this course's roster")
    decision = ReviewDecision(sighting_id=sighting.id, student_id=student_id,
                              decision=verdict.value, actor=actor, user_id=user_id)
    session.add(decision)
    record_audit(session, actor=actor, action=f"sighting.{verdict.value}",
                 target_type="sighting", target_id=sighting.id, user_id=user_id,
                 details={"student_id": student_id,
                          "class_session_id": sighting.class_session_id, **details})
    session.flush()
    return decision
