"""``attendance bench classroom``: simulated class sessions through the real pipeline.

Order of work: enroll every roster student through the enrollment service (both models);
compose, detect and embed every frame once (:mod:`.observe`); run the decision and record
stage once per configuration (:mod:`.record`); score every detected face as an open-set
search (:mod:`.openset`). Wall-clock time is dominated by detection and dlib embedding.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from models import Embedder

from ..config import Settings
from ..crypto import TemplateCipher
from ..matching import Gallery, load_gallery
from ..worker.recognition import settings_detector
from .enrolling import Enroll
from .observe import ObservedFrame, compose_planned, observe, save_frame
from .openset import Scores, open_set_scores
from .plan import ClassroomPlan
from .record import CONFIGURATIONS, ConfigOutcome, record_configuration

logger = logging.getLogger(__name__)

#: Face-height buckets (px) for detector misses: [low, high).
SIZE_BUCKETS = ((0, 70), (70, 90), (90, 120), (120, 10_000))


@dataclass
class EnrollmentSummary:
    """Roster students enrolled, photos accepted, refusals, and seconds per photo."""

    students: int = 0
    failed: list[str] = field(default_factory=list)
    photos: int = 0
    accepted: int = 0
    #: Refused photos as (reason code, message).
    rejected: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: Accepted photos the duplicate check took for another student (false alarms: LFW
    #: names are distinct people).
    flagged_duplicates: int = 0


@dataclass
class ClassroomResult:
    """Everything the report needs."""

    plan: ClassroomPlan
    versions: dict[str, str]
    thresholds: dict[str, float]
    min_sightings: int
    enrollment: EnrollmentSummary
    frames: int
    truth_faces: int
    false_detections: int
    #: Per size bucket: (pasted faces, missed by the detector).
    misses_by_size: dict[tuple[int, int], tuple[int, int]]
    seconds: dict[str, float]
    outcomes: list[ConfigOutcome]
    scores: dict[str, Scores]

    @property
    def detector_misses(self) -> int:
        return sum(m for _, m in self.misses_by_size.values())


def run_classroom(
    plan: ClassroomPlan,
    settings: Settings,
    embedders: Sequence[Embedder],
    factory: sessionmaker[Session],
    enroll: Enroll,
    *,
    start: datetime,
    frames_dir: Path | None = None,
) -> ClassroomResult:
    """Enroll, observe, decide and record; ``start`` is the first session's start (UTC),
    later sessions start a day apart. ``frames_dir`` receives the frames as JPEGs."""
    student_ids, summary = _enroll_rosters(plan, settings, embedders, factory, enroll)
    versions = {e.name: e.version for e in embedders}
    detector = settings_detector(settings)
    frames: list[ObservedFrame] = []
    for s_plan in plan.sessions:
        for f_plan in s_plan.frames:
            scene = compose_planned(f_plan)
            if frames_dir is not None:
                save_frame(scene, frames_dir / f"session{s_plan.index:02d}_frame{f_plan.index}.jpg")
            frames.append(observe(s_plan.index, f_plan, scene, detector, embedders))
        logger.info("session %d: %d frames observed", s_plan.index, len(s_plan.frames))
    configs = [c for c in CONFIGURATIONS if set(c.models) <= set(versions)]
    outcomes = [record_configuration(factory, settings, c, plan, frames, student_ids, versions,
                                     start) for c in configs]
    galleries: dict[int, dict[str, Gallery]] = {}
    rosters: dict[int, set[int]] = {}
    with factory() as session:
        for course in plan.courses:
            rosters[course.index] = {student_ids[n] for n in course.roster if n in student_ids}
            galleries[course.index] = load_gallery(
                session, rosters[course.index], versions,
                cipher=TemplateCipher.from_settings(settings))
    thresholds = {m: settings.threshold_for(m) for m in versions}
    scores = open_set_scores(frames, galleries, rosters, student_ids, thresholds, configs)
    seconds = {"detect": sum(f.seconds["detect"] for f in frames)}
    for name in versions:
        seconds[name] = sum(f.seconds[name] for f in frames)
    return ClassroomResult(
        plan=plan, versions=versions, thresholds=thresholds,
        min_sightings=settings.min_sightings, enrollment=summary, frames=len(frames),
        truth_faces=sum(len(f.truth) for f in frames),
        false_detections=sum(1 for f in frames for face in f.faces if face.truth is None),
        misses_by_size=_misses_by_size(frames), seconds=seconds, outcomes=outcomes,
        scores=scores,
    )


def _enroll_rosters(
    plan: ClassroomPlan,
    settings: Settings,
    embedders: Sequence[Embedder],
    factory: sessionmaker[Session],
    enroll: Enroll,
) -> tuple[dict[str, int], EnrollmentSummary]:
    """Enroll every roster student (one transaction each); name -> student id."""
    student_ids: dict[str, int] = {}
    summary = EnrollmentSummary()
    for course in plan.courses:
        for name in course.roster:
            photos = [(p.name, p.read_bytes()) for p in course.enroll_photos[name]]
            with factory.begin() as session:
                outcome = enroll(session, settings, embedders,
                                 student_number=f"LFW-{name}"[:64],
                                 display_name=name.replace("_", " "), photos=photos)
            summary.photos += len(photos)
            summary.accepted += outcome.accepted
            summary.rejected.extend(outcome.rejected)
            summary.seconds += outcome.seconds
            summary.flagged_duplicates += outcome.flagged_duplicates
            if outcome.student_id is None or outcome.accepted == 0:
                summary.failed.append(name)
                continue
            student_ids[name] = outcome.student_id
            summary.students += 1
    logger.info("enrolled %d students (%d failed)", summary.students, len(summary.failed))
    return student_ids, summary


def _misses_by_size(frames: Sequence[ObservedFrame]) -> dict[tuple[int, int], tuple[int, int]]:
    result: dict[tuple[int, int], tuple[int, int]] = {}
    for low, high in SIZE_BUCKETS:
        total = sum(1 for f in frames for t in f.truth if low <= t.height < high)
        missed = sum(1 for f in frames for t in f.missed if low <= t.height < high)
        result[(low, high)] = (total, missed)
    return result


__all__ = ["ClassroomResult", "EnrollmentSummary", "run_classroom"]
