"""The camera's write path: one sighting stored, and counted towards attendance.

A sighting is a face a camera saw in a class session: its box, the time, and each model's
figures (distance, threshold, nearest student). Counting follows the rules of
:mod:`attendance.services.records`. Consent is checked again here, in the writing
transaction: a student without an active consent covering the course is never named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import AttendanceRecord, Sighting
from ..errors import InvalidInput
from ._record_rows import check_aware, require_on_roster, session_and_course
from ._upsert import insert_ignoring_conflict
from .consent import consenting_students
from .records import count_sighting
from .unsure import student_id_of

#: A face box in pixels, (top, right, bottom, left) as face_recognition orders it.
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class SightingOutcome:
    """What :func:`record_sighting` did.

    ``duplicate``: the dedupe key was seen before, nothing was written or counted.
    ``record``: the student's attendance record after the update (None for unknown faces,
    and for a confirmed session where the student has no record).
    """

    sighting: Sighting
    duplicate: bool
    record: AttendanceRecord | None


def record_sighting(
    session: Session,
    *,
    class_session_id: int,
    student_id: int | None,
    seen_at: datetime,
    box: Box,
    evidence: Mapping[str, Any],
    camera_id: int | None = None,
    dedupe_key: str | None = None,
    min_sightings: int,
) -> SightingOutcome:
    """Store one sighting and, for a recognised student, count it towards attendance.

    ``student_id`` None means an unknown face (stored as evidence only). ``evidence`` holds
    per-model decision figures (distances, thresholds, versions). A ``dedupe_key`` already
    stored makes the call a no-op, so a retried write neither duplicates nor counts twice.
    A student who is not on the course roster is refused with :class:`InvalidInput`; one
    without an active consent covering the course (withdrawn while the sighting waited in a
    worker's spool) is stored as an unknown face, and the evidence names them nowhere (neither as
    a model's candidate nor as the fused runner-up).
    """
    check_aware(seen_at, "seen_at")
    _class_session, course = session_and_course(session, class_session_id)
    if student_id is not None:
        require_on_roster(session, course, student_id)
    named = evidence_candidates(evidence) | ({student_id} if student_id is not None else set())
    consenting = consenting_students(session, named, course.id)
    if student_id not in consenting:
        student_id = None
    evidence = without_candidates(evidence, named - consenting)
    if dedupe_key is not None and not 0 < len(dedupe_key) <= 64:
        raise InvalidInput("dedupe_key must be 1 to 64 characters")
    values = {
        "class_session_id": class_session_id,
        "camera_id": camera_id,
        "seen_at": seen_at,
        "student_id": student_id,
        "evidence": dict(evidence),
        "box_top": box[0],
        "box_right": box[1],
        "box_bottom": box[2],
        "box_left": box[3],
        "dedupe_key": dedupe_key,
    }
    if dedupe_key is None:
        sighting = Sighting(**values)
        session.add(sighting)
        session.flush()
        inserted = True
    else:
        inserted = insert_ignoring_conflict(session, Sighting.__table__, values, ["dedupe_key"])
        sighting = session.execute(
            select(Sighting).where(Sighting.dedupe_key == dedupe_key)
        ).scalar_one()
    if student_id is None:
        return SightingOutcome(sighting, not inserted, None)
    if not inserted:
        current = session.scalar(
            select(AttendanceRecord).where(
                AttendanceRecord.class_session_id == class_session_id,
                AttendanceRecord.student_id == student_id,
            )
        )
        return SightingOutcome(sighting, True, current)
    record = count_sighting(
        session,
        class_session_id=class_session_id,
        student_id=student_id,
        seen_at=seen_at,
        min_sightings=min_sightings,
    )
    return SightingOutcome(sighting, False, record)


#: The keys of a model's entry in ``evidence`` that name a student: its nearest
#: (``candidate``) and, in the fused score's entry, the next nearest (``runner_up``).
_NAMING_KEYS = ("candidate", "runner_up")


def evidence_candidates(evidence: Mapping[str, Any]) -> set[int]:
    """The student ids ``evidence`` names (``{model: {"candidate": id, "runner_up": id}}``)."""
    return {entry[key] for entry in evidence.values() if isinstance(entry, Mapping)
            for key in _NAMING_KEYS if student_id_of(entry.get(key)) is not None}


def without_candidates(evidence: Mapping[str, Any], unnamed: set[int]) -> dict[str, Any]:
    """``evidence`` naming none of ``unnamed``: such a candidate is removed (and its entry
    no longer accepted), such a runner-up removed."""
    out: dict[str, Any] = {}
    for model, entry in evidence.items():
        if isinstance(entry, Mapping):
            if student_id_of(entry.get("candidate")) in unnamed:
                entry = {**entry, "candidate": None, "accepted": False}
            if student_id_of(entry.get("runner_up")) in unnamed:
                entry = {**entry, "runner_up": None}
        out[model] = entry
    return out


__all__ = ["Box", "SightingOutcome", "evidence_candidates", "record_sighting",
           "without_candidates"]
