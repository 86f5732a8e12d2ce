"""``attendance bench classroom``: simulated class sessions through the real pipeline.

Order of work: enroll every roster student through the enrollment service (both models);
compose, detect and embed every frame once (:mod:`.observe`), and run each candidate
detector setting on it (:data:`DETECTOR_CANDIDATES`, misses by face size); run the decision
and record stage once per configuration, with the face tracker off and on (:mod:`.record`);
score every detected face as an open-set search (:mod:`.openset`). Wall-clock time is
dominated by detection and dlib embedding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from models import Embedder

from ..config import FUSED_RULES, Settings
from ..crypto import TemplateCipher
from ..detection import detect_faces
from ..matching import Gallery, fusion_for, load_gallery
from ..worker.recognition import settings_detector
from .enrolling import Enroll
from .metrics import match_boxes
from .observe import ObservedFrame, compose_planned, observe, save_frame
from .openset import Scores, open_set_scores
from .plan import ClassroomPlan
from .record import CONFIGURATIONS, ConfigOutcome, record_configuration
from .scenes import Scene

logger = logging.getLogger(__name__)

#: Face-height buckets (px) for detector misses: [low, high).
SIZE_BUCKETS = ((0, 40), (40, 50), (50, 60), (60, 70), (70, 90), (90, 120), (120, 10_000))
#: Detector settings measured on every frame: (frames downscaled above this many px, share
#: of the frame from the top scanned upsampled). (1280, 1.0) was the default before the
#: seated room; the configured one is always added.
DETECTOR_CANDIDATES = ((1280, 1.0), (1920, 0.0), (1920, 0.3), (1920, 0.4), (1920, 0.5),
                       (1920, 1.0))


@dataclass
class DetectorTrial:
    """One detector setting over every frame: misses per size bucket (pasted, missed),
    false detections, and detection seconds."""

    max_side: int
    band: float
    misses_by_size: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    false_detections: int = 0
    seconds: float = 0.0

    def add(self, scene: Scene, boxes: Sequence[tuple[int, int, int, int]],
            seconds: float) -> None:
        found = {i for i in match_boxes([t.box for t in scene.faces], boxes)
                 if i is not None}
        self.false_detections += len(boxes) - len(found)
        self.seconds += seconds
        for low, high in SIZE_BUCKETS:
            here = [i for i, t in enumerate(scene.faces) if low <= t.height < high]
            total, missed = self.misses_by_size.get((low, high), (0, 0))
            self.misses_by_size[(low, high)] = (total + len(here),
                                                missed + sum(i not in found for i in here))

    @property
    def misses(self) -> int:
        return sum(m for _, m in self.misses_by_size.values())


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
    #: Frame size (width, height) and room of the plan.
    frame_size: tuple[int, int] = (1280, 720)
    #: Each candidate detector setting over the same frames.
    detector_trials: list[DetectorTrial] = field(default_factory=list)
    #: The configured (frames downscaled above, upsampled band).
    detector_setting: tuple[int, float] = (1920, 0.5)
    #: The fused rules' margin over the runner-up (None: no fused configuration ran).
    fused_margin: float | None = None

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
    detector_sweep: bool = True,
) -> ClassroomResult:
    """Enroll, observe, decide and record; ``start`` is the first session's start (UTC),
    later sessions start a day apart. ``frames_dir`` receives the frames as JPEGs;
    ``detector_sweep`` also runs every :data:`DETECTOR_CANDIDATES` setting on each frame."""
    student_ids, summary = _enroll_rosters(plan, settings, embedders, factory, enroll)
    versions = {e.name: e.version for e in embedders}
    detector = settings_detector(settings)
    configured = (settings.detection_frame_max_side, settings.detection_upsample_band)
    candidates = sorted({*DETECTOR_CANDIDATES, configured}) if detector_sweep else []
    trials = [DetectorTrial(side, band) for side, band in candidates]
    frames: list[ObservedFrame] = []
    for s_plan in plan.sessions:
        for f_plan in s_plan.frames:
            scene = compose_planned(f_plan)
            if frames_dir is not None:
                save_frame(scene, frames_dir / f"session{s_plan.index:02d}_frame{f_plan.index}.jpg")
            frames.append(observe(s_plan.index, f_plan, scene, detector, embedders))
            for trial in trials:
                began = time.perf_counter()
                boxes = [d.box for d in detect_faces(
                    scene.frame, detector=settings.detector, max_side=trial.max_side,
                    upsample_band=trial.band)]
                trial.add(scene, boxes, time.perf_counter() - began)
        logger.info("session %d: %d frames observed", s_plan.index, len(s_plan.frames))
    inhouse = next((e for e in embedders if e.name == "inhouse"), None)
    # The cross-fold weights' own fit if shipped beside them, else the shipped fit (made on
    # cross-fold scores, so it is the honest calibration of such weights too).
    fusion = fusion_for(settings, versions, rule="fused",
                        weights=getattr(inhouse, "weights", None))
    configs = [c for c in CONFIGURATIONS if set(c.models) <= set(versions)]
    outcomes = [record_configuration(factory, settings, c, plan, frames, student_ids, versions,
                                     start, tracking=tracking, fusion=fusion)
                for c in configs for tracking in (False, True)]
    galleries: dict[int, dict[str, Gallery]] = {}
    rosters: dict[int, set[int]] = {}
    with factory() as session:
        for course in plan.courses:
            rosters[course.index] = {student_ids[n] for n in course.roster if n in student_ids}
            galleries[course.index] = load_gallery(
                session, rosters[course.index], versions,
                cipher=TemplateCipher.from_settings(settings))
    thresholds = {m: settings.threshold_for(m) for m in versions}
    scores = open_set_scores(frames, galleries, rosters, student_ids, thresholds, configs,
                             fusion)
    if fusion is not None:
        for config in configs:
            if config.rule in FUSED_RULES:
                thresholds[config.name] = fusion.fused_threshold
    seconds = {"detect": sum(f.seconds["detect"] for f in frames)}
    for name in versions:
        seconds[name] = sum(f.seconds[name] for f in frames)
    return ClassroomResult(
        plan=plan, versions=versions, thresholds=thresholds,
        min_sightings=settings.min_sightings, enrollment=summary, frames=len(frames),
        truth_faces=sum(len(f.truth) for f in frames),
        false_detections=sum(1 for f in frames for face in f.faces if face.truth is None),
        misses_by_size=_misses_by_size(frames), seconds=seconds, outcomes=outcomes,
        scores=scores, frame_size=plan.frame_size, detector_trials=trials,
        detector_setting=configured,
        fused_margin=None if fusion is None else fusion.fused_margin,
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


__all__ = ["DETECTOR_CANDIDATES", "ClassroomResult", "DetectorTrial", "EnrollmentSummary",
           "run_classroom"]
