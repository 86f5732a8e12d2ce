"""Teachers' verdicts on unsure sightings (the review queue is ``review_queue``).

Verdicts are stored one per sighting (``ReviewDecision``) and audited one per sighting:

* :func:`confirm_group` — "yes, this is X" for a (class session, X) group of the queue:
  every pending unsure sighting of X there, up to the newest one the teacher was shown, is
  assigned to X and counted once through
  :func:`attendance.services.records.count_sighting` (a manual mark is never changed by
  that). :func:`confirm_sighting` does the same for one sighting.
* :func:`reject_group` — "not X": every pending unsure sighting of X in the session (up to
  the newest one shown) is settled as "not X", so none of them is asked about again.
  :func:`reject_sighting` rejects one sighting and settles the rest of its group alike.
  Rejections are remembered: the camera worker consults :func:`suppressed_students` and no
  longer counts *unsure* sightings of X in that session automatically (they wait in the
  queue instead). A sighting that already counted for X stays counted; the teacher
  corrects the mark on the session page if needed.

Every writer checks the access policy (``by``: None is the operator) and that X is on the
course's roster; confirming also needs X's active consent covering the course.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import ClassSession, Enrollment, ReviewDecision, Sighting, Verdict
from ..errors import Conflict, InvalidInput, NotFound
from .audit import record_audit
from .consent import has_consent
from .evidence import BestMatch as BestMatch
from .evidence import EvidenceRow as EvidenceRow
from .evidence import ModelMatch as ModelMatch
from .evidence import best_matches as best_matches
from .evidence import evidence_names as evidence_names
from .evidence import sighting_evidence as sighting_evidence
from .records import count_sighting
from .review_queue import pending_group
from .unsure import FUSED_REVIEW_MARGIN as FUSED_REVIEW_MARGIN
from .unsure import REVIEW_MARGIN as REVIEW_MARGIN
from .unsure import ModelEvidence as ModelEvidence
from .unsure import model_evidence as model_evidence
from .unsure import unsure as unsure


@dataclass(frozen=True)
class GroupVerdict:
    """What one verdict on a group did: how many sightings it settled, and of those how
    many were counted for the student by it (confirm) or had already counted (reject)."""

    verdict: Verdict
    student_id: int
    settled: int
    counted_now: int = 0
    already_counted: int = 0


def confirm_group(
    session: Session, *, class_session_id: int, student_id: int, upto: int | None,
    actor: str, min_sightings: int, user_id: int | None = None, by: Principal | None = None,
) -> GroupVerdict:
    """"Yes, this is ``student_id``" for every pending unsure sighting of them in the class
    session with an id up to ``upto`` (None: all). :class:`Conflict` when none is left."""
    class_session = access.load_class_session(session, by, Action.CHANGE_SESSION,
                                              class_session_id)
    _check_candidate(session, class_session, student_id, confirming=True)
    ids = _group(session, class_session_id, student_id, upto)
    counted_now = already = 0
    for sighting in _sightings(session, ids):
        was_counted = sighting.student_id == student_id
        if was_counted:
            already += 1
        else:
            count_sighting(session, class_session_id=class_session_id, student_id=student_id,
                           seen_at=sighting.seen_at, min_sightings=min_sightings)
            sighting.student_id = student_id
            counted_now += 1
        _decide(session, sighting, student_id, Verdict.CONFIRMED, actor, user_id,
                {"counted_now": not was_counted, "group_size": len(ids)})
    return GroupVerdict(Verdict.CONFIRMED, student_id, len(ids), counted_now, already)


def reject_group(
    session: Session, *, class_session_id: int, student_id: int, upto: int | None,
    actor: str, user_id: int | None = None, by: Principal | None = None,
) -> GroupVerdict:
    """"Not ``student_id``" for every pending unsure sighting of them in the class session
    with an id up to ``upto`` (None: all). :class:`Conflict` when none is left."""
    class_session = access.load_class_session(session, by, Action.CHANGE_SESSION,
                                              class_session_id)
    _check_candidate(session, class_session, student_id, confirming=False)
    ids = _group(session, class_session_id, student_id, upto)
    already = 0
    for sighting in _sightings(session, ids):
        was_counted = sighting.student_id == student_id
        already += was_counted
        _decide(session, sighting, student_id, Verdict.REJECTED, actor, user_id,
                {"was_counted": was_counted, "group_size": len(ids)})
    return GroupVerdict(Verdict.REJECTED, student_id, len(ids), 0, already)


def confirm_sighting(
    session: Session, *, sighting_id: int, student_id: int, actor: str,
    min_sightings: int, user_id: int | None = None, by: Principal | None = None,
) -> ReviewDecision:
    """"Yes, this is ``student_id``" for one sighting: assign it and count it (once). ``by``
    (None: the operator) must be allowed to change the sighting's session."""
    sighting, class_session = _undecided(session, sighting_id, by)
    _check_candidate(session, class_session, student_id, confirming=True)
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
    """"Not ``student_id``" for one sighting, and for every other pending unsure sighting of
    them in the same class session (a "not X" settles the group); returns the decision on
    ``sighting_id``. ``by`` (None: the operator) must be allowed to change the session."""
    sighting, class_session = _undecided(session, sighting_id, by)
    _check_candidate(session, class_session, student_id, confirming=False)
    others = [i for i in pending_group(session, class_session.id, student_id)
              if i != sighting.id]
    decision = _decide(session, sighting, student_id, Verdict.REJECTED, actor, user_id,
                       {"was_counted": sighting.student_id == student_id})
    for other in _sightings(session, others):
        _decide(session, other, student_id, Verdict.REJECTED, actor, user_id,
                {"was_counted": other.student_id == student_id,
                 "settled_with_sighting": sighting.id})
    return decision


def suppressed_students(session: Session, class_session_id: int) -> frozenset[int]:
    """Students a teacher said "not X" about in this class session. For the camera worker:
    do not count unsure sightings of them automatically in this session."""
    return frozenset(session.scalars(
        select(ReviewDecision.student_id)
        .join(Sighting, Sighting.id == ReviewDecision.sighting_id)
        .where(Sighting.class_session_id == class_session_id,
               ReviewDecision.decision == Verdict.REJECTED.value)
    ))


def _check_candidate(session: Session, class_session: ClassSession, student_id: int, *,
                     confirming: bool) -> None:
    if session.get(Enrollment, (class_session.course_id, student_id)) is None:
        raise InvalidInput("student %(student_id)s is not on this course's roster",
                           student_id=student_id)
    if confirming and not has_consent(session, student_id, class_session.course_id):
        raise InvalidInput("this student has no active consent to face recognition for the "
                           "course: mark them by hand on the session page instead")


def _group(session: Session, class_session_id: int, student_id: int,
           upto: int | None) -> list[int]:
    ids = pending_group(session, class_session_id, student_id, upto=upto)
    if not ids:
        raise Conflict("these sightings were already reviewed; reload the page")
    return ids


def _sightings(session: Session, ids: list[int]) -> list[Sighting]:
    if not ids:
        return []
    return list(session.scalars(select(Sighting).where(Sighting.id.in_(ids))
                                .order_by(Sighting.seen_at, Sighting.id)))


def _undecided(session: Session, sighting_id: int,
               by: Principal | None) -> tuple[Sighting, ClassSession]:
    sighting = session.get(Sighting, sighting_id)
    if sighting is None:
        raise NotFound("no sighting with id %(sighting_id)s", sighting_id=sighting_id)
    class_session = access.load_class_session(session, by, Action.CHANGE_SESSION,
                                              sighting.class_session_id)
    if session.scalar(select(ReviewDecision.id)
                      .where(ReviewDecision.sighting_id == sighting_id)) is not None:
        raise Conflict("this sighting was already reviewed; reload the page")
    return sighting, class_session


def _decide(
    session: Session, sighting: Sighting, student_id: int, verdict: Verdict, actor: str,
    user_id: int | None, details: dict[str, Any],
) -> ReviewDecision:
    decision = ReviewDecision(sighting_id=sighting.id, student_id=student_id,
                              decision=verdict.value, actor=actor, user_id=user_id)
    session.add(decision)
    record_audit(session, actor=actor, action=f"sighting.{verdict.value}",
                 target_type="sighting", target_id=sighting.id, user_id=user_id,
                 details={"student_id": student_id,
                          "class_session_id": sighting.class_session_id, **details})
    session.flush()
    return decision


__all__ = ["GroupVerdict", "confirm_group", "confirm_sighting", "reject_group",
           "reject_sighting", "suppressed_students"]
