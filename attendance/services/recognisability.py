"""Why a roster student can never be recognised by the camera in a course.

The camera matches a face only against the course's gallery (``attendance.matching.roster``
and the worker's ``GalleryCache``): active students on the roster, with an active consent
covering the course, through their embeddings of the configured models' current versions,
and only while the course uses face recognition at all. A student failing any of these is
never marked by the camera, however often they walk past it: the teacher has to mark them
by hand or let them use a check-in code. :func:`recognition_obstacles` names each reason, so
the dashboard can say so before the session instead of leaving them "not seen".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..config import FUSED_RULES
from ..db import Course, Enrollment, FaceEmbedding, Student, consent_covers

#: The reasons, as shown to teachers.
RECOGNITION_OFF = "face recognition is off for this course"
NO_CONSENT = "no active consent covering this course"
INACTIVE = "student is marked inactive"


@dataclass(frozen=True)
class RecognitionSetup:
    """The face models the camera uses: version by model name (in configuration order),
    and the fusion rule that decides with two (``settings.fusion_rule``)."""

    model_versions: Mapping[str, str]
    rule: str

    def required(self) -> tuple[list[str], bool]:
        """(the models that matter, whether every one of them is needed): with one model
        or a rule naming a model, that one; ``both``: all; ``either`` and the fused rules (a
        student with one model's embeddings is judged by that model alone): any one."""
        names = list(self.model_versions)
        if len(names) <= 1:
            return names, True
        if self.rule in self.model_versions:
            return [self.rule], True
        return names, self.rule not in ("either", *FUSED_RULES)


def recognition_obstacles(
    session: Session, course: Course, student_ids: Collection[int], setup: RecognitionSetup,
) -> dict[int, list[str]]:
    """For each of ``student_ids`` that the camera cannot recognise in ``course``, the
    reasons (at least one); students without an obstacle are left out."""
    ids = sorted(set(student_ids))
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    if not course.face_recognition_enabled:
        return {i: [RECOGNITION_OFF] for i in ids}
    consenting = set(session.scalars(select(Student.id).where(
        Student.id.in_(ids), consent_covers(Student.id, course.id))))
    inactive = set(session.scalars(select(Student.id).where(
        Student.id.in_(ids), Student.active.is_(False))))
    models = _models_with_photos(session, ids, setup)
    needed, all_needed = setup.required()
    for student_id in ids:
        reasons = []
        if student_id not in consenting:
            reasons.append(NO_CONSENT)
        if student_id in inactive:
            reasons.append(INACTIVE)
        have = models.get(student_id, set())
        missing = [m for m in needed if m not in have]
        if needed and (missing if all_needed else len(missing) == len(needed)):
            reasons.append(_no_photo(missing, all_needed))
        if reasons:
            found[student_id] = reasons
    return found


def roster_obstacles(session: Session, course: Course,
                     setup: RecognitionSetup) -> dict[int, list[str]]:
    """:func:`recognition_obstacles` for everyone on the roster of ``course``."""
    roster = session.scalars(select(Enrollment.student_id)
                             .where(Enrollment.course_id == course.id)).all()
    return recognition_obstacles(session, course, roster, setup)


def _no_photo(missing: list[str], all_needed: bool) -> str:
    joined = ", ".join(missing) if all_needed else " or ".join(missing)
    return f"no accepted photo for the face model {joined}" if len(missing) == 1 else \
        f"no accepted photo for the face models {joined}"


def _models_with_photos(session: Session, ids: list[int],
                        setup: RecognitionSetup) -> dict[int, set[str]]:
    """Per student, the configured models (current version) they have an embedding of."""
    if not setup.model_versions:
        return {}
    current = or_(*(and_(FaceEmbedding.model_name == name, FaceEmbedding.model_version == version)
                    for name, version in setup.model_versions.items()))
    rows = session.execute(
        select(FaceEmbedding.student_id, FaceEmbedding.model_name).distinct()
        .where(FaceEmbedding.student_id.in_(ids), current)).tuples()
    found: dict[int, set[str]] = {}
    for student_id, model in rows:
        found.setdefault(student_id, set()).add(model)
    return found


__all__ = ["INACTIVE", "NO_CONSENT", "RECOGNITION_OFF", "RecognitionSetup",
           "recognition_obstacles", "roster_obstacles"]
