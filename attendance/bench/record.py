"""The decision and record stage of the classroom benchmark, once per configuration.

Each configuration gets its own copy of every course (same roster, same enrolled students
and embeddings) and its own class sessions, so the runs never share a record. Per frame, in
one transaction like a worker tick: :func:`decide_faces` with the configuration's models and
fusion rule, then :func:`record_sighting` per face (``min_sightings`` from the settings); at
the end :func:`finalize_session` marks everyone never confirmed absent.

With ``tracking``, each session has the worker's :class:`~attendance.worker.tracking.
FaceTracker`: a face it carries over inherits its identity and evidence instead of being
decided from its embedding (the embedding was computed once for every run, but a worker would
not have computed it), exactly as :meth:`~attendance.worker.recognition.Recognizer.analyse`
does. Afterwards every stored inherited sighting is read back to check that its evidence says
where it came from.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.fusion_params import FusionParams

from ..config import Settings
from ..crypto import TemplateCipher
from ..db import Sighting, Status
from ..matching import Decision, Gallery, decide_faces, load_gallery
from ..services.courses import create_course
from ..services.finalize import finalize_session
from ..services.records import records_for_session
from ..services.roster import add_to_roster
from ..services.schedule import create_adhoc_session
from ..services.sightings import record_sighting
from ..worker.recognition import evidence_of
from ..worker.tracking import Carried, FaceTracker, TrackingPolicy, inherited_from
from .metrics import AttendanceCounts, session_counts
from .observe import ObservedFace, ObservedFrame
from .plan import ClassroomPlan

#: Frames are captured from one minute after the start, every capture interval.
FIRST_FRAME_AFTER = timedelta(minutes=1)
SESSION_LENGTH = timedelta(minutes=50)


@dataclass(frozen=True)
class Configuration:
    """A way of deciding: which models are used and the fusion rule between them."""

    name: str
    models: tuple[str, ...]
    rule: str


CONFIGURATIONS = (
    Configuration("dlib", ("dlib",), "dlib"),
    Configuration("inhouse", ("inhouse",), "inhouse"),
    #: The default: one calibrated score from both models (``attendance.matching.fused``),
    #: and dlib's own acceptance stands.
    Configuration("fused", ("dlib", "inhouse"), "fused"),
    #: The fused score alone (the default until dlib's acceptance was let stand).
    Configuration("fused_score", ("dlib", "inhouse"), "fused_score"),
    #: The rule that was the default before the fused one, for comparison.
    Configuration("both", ("dlib", "inhouse"), "both"),
)


@dataclass
class ConfigOutcome:
    """What one configuration did over every session, with the face tracker or without."""

    config: Configuration
    tracking: bool = False
    counts: AttendanceCounts = field(default_factory=AttendanceCounts)
    #: Faces of a person identified as another student: roster faces, walk-in faces,
    #: false detections.
    wrong_roster: int = 0
    wrong_walk_in: int = 0
    wrong_false_detection: int = 0
    #: Detected faces of attending students identified correctly / left unknown.
    correct: int = 0
    unknown_roster: int = 0
    #: Missed attending students by cause: detected in fewer than min_sightings frames, or
    #: detected often enough but identified in fewer.
    missed_undetected: int = 0
    missed_unidentified: int = 0
    #: (session, student name, who produced the sightings) per false presence.
    false_presences: list[tuple[int, str, str]] = field(default_factory=list)
    #: (session, student name) per attending student not marked present or late.
    missed: list[tuple[int, str]] = field(default_factory=list)
    seconds_match: float = 0.0
    seconds_write: float = 0.0
    #: Faces decided from their own embedding / that inherited their identity.
    embedded: int = 0
    inherited: int = 0
    #: Inherited faces of a person other than the student they inherited (of those: roster
    #: faces, walk-ins, false detections), and inherited sightings stored whose evidence says
    #: from which frame and box they came.
    wrong_inherited: int = 0
    inherited_with_provenance: int = 0

    @property
    def label(self) -> str:
        """The configuration's name, with "+ tracker" when the tracker ran."""
        return f"{self.config.name} + tracker" if self.tracking else self.config.name


def record_configuration(
    factory: sessionmaker[Session],
    settings: Settings,
    config: Configuration,
    plan: ClassroomPlan,
    frames: Sequence[ObservedFrame],
    student_ids: Mapping[str, int],
    versions: Mapping[str, str],
    start: datetime,
    *,
    tracking: bool = False,
    fusion: FusionParams | None = None,
) -> ConfigOutcome:
    """Run the decision and record stage of ``config`` over ``frames``.

    ``student_ids`` maps enrolled people's names to student ids (people whose enrollment
    failed count as non-roster); ``versions`` the stored model versions by name; ``start``
    the first session's start (UTC), later sessions start a day apart; ``tracking`` runs the
    worker's face tracker (``TrackingPolicy.from_settings``); ``fusion`` the parameters of
    the ``fused`` rule (needed by that configuration).
    """
    outcome = ConfigOutcome(config, tracking)
    thresholds = {m: settings.threshold_for(m) for m in config.models}
    by_session: dict[int, list[ObservedFrame]] = {}
    for frame in frames:
        by_session.setdefault(frame.session, []).append(frame)
    suffix = "-t" if tracking else ""
    course_ids, galleries = _create_courses(
        factory, config, plan, student_ids, {m: versions[m] for m in config.models},
        cipher=TemplateCipher.from_settings(settings), suffix=suffix)
    names = {v: k for k, v in student_ids.items()}
    session_ids = []
    for s_plan in plan.sessions:
        starts = start + timedelta(days=s_plan.index)
        with factory.begin() as session:
            class_session_id = create_adhoc_session(
                session, course_id=course_ids[s_plan.course], starts_at=starts,
                ends_at=starts + SESSION_LENGTH).id
        session_ids.append(class_session_id)
        roster = {student_ids[n] for n in plan.courses[s_plan.course].roster
                  if n in student_ids}
        tally = _Tally(outcome, student_ids, roster)
        tracker = FaceTracker(TrackingPolicy.from_settings(settings)) if tracking else None
        for frame in sorted(by_session.get(s_plan.index, []), key=lambda f: f.index):
            seen_at = starts + FIRST_FRAME_AFTER + timedelta(
                seconds=settings.capture_interval_seconds * frame.index)
            t0 = time.perf_counter()
            results = _results(galleries[s_plan.course], frame, config, thresholds, tracker,
                               seen_at, fusion)
            t1 = time.perf_counter()
            with factory.begin() as session:  # one transaction per frame, like a worker tick
                for face, (student_id, evidence, _) in zip(frame.faces, results, strict=True):
                    record_sighting(
                        session, class_session_id=class_session_id,
                        student_id=student_id, seen_at=seen_at, box=face.box,
                        evidence=evidence, dedupe_key=uuid.uuid4().hex,
                        min_sightings=settings.min_sightings)
            outcome.seconds_match += t1 - t0
            outcome.seconds_write += time.perf_counter() - t1
            for face, (student_id, _, inherited) in zip(frame.faces, results, strict=True):
                tally.add(face, student_id, inherited=inherited)
        with factory.begin() as session:
            finalize_session(session, class_session_id, starts + SESSION_LENGTH)
            marked = {r.student_id for r in records_for_session(session, class_session_id)
                      if r.status in (Status.PRESENT, Status.LATE)}
        attending = {student_ids[n] for n in s_plan.attending if n in student_ids}
        outcome.counts += session_counts(attending, roster, marked)
        for student in sorted(marked - attending):
            producers = ", ".join(sorted(tally.producers.get(student, ())))
            outcome.false_presences.append((s_plan.index, names[student], producers))
        for student in sorted(attending - marked):
            outcome.missed.append((s_plan.index, names[student]))
            if tally.detected.get(student, 0) < settings.min_sightings:
                outcome.missed_undetected += 1
            else:
                outcome.missed_unidentified += 1
    outcome.inherited_with_provenance = _with_provenance(factory, session_ids)
    return outcome


def _results(
    galleries: Mapping[str, Gallery],
    frame: ObservedFrame,
    config: Configuration,
    thresholds: Mapping[str, float],
    tracker: FaceTracker | None,
    seen_at: datetime,
    fusion: FusionParams | None = None,
) -> list[tuple[int | None, dict[str, Any], bool]]:
    """Per face: (student or None, evidence, inherited), as the worker would decide it."""
    carried: list[Carried | None] = (
        tracker.carry(seen_at, [f.box for f in frame.faces], galleries,
                      [f.look for f in frame.faces])
        if tracker is not None else [None] * len(frame.faces))
    todo = [i for i, c in enumerate(carried) if c is None]
    decisions = dict(zip(todo, _decide(galleries, frame, config, thresholds, todo, fusion),
                         strict=True))
    results: list[tuple[int | None, dict[str, Any], bool]] = []
    for i, carry in enumerate(carried):
        if carry is not None:
            results.append((carry.student_id, carry.evidence, True))
        else:
            results.append((decisions[i].student_id, evidence_of(decisions[i]), False))
    if tracker is not None:
        tracker.record([(student_id, evidence) for student_id, evidence, _ in results])
    return results


def _with_provenance(factory: sessionmaker[Session], class_session_ids: list[int]) -> int:
    """Stored sightings of these sessions whose evidence names the frame and box it was
    inherited from."""
    with factory() as session:
        rows = session.scalars(select(Sighting.evidence).where(
            Sighting.class_session_id.in_(class_session_ids)))
        return sum(1 for evidence in rows if inherited_from(evidence or {}) is not None)


def _create_courses(
    factory: sessionmaker[Session],
    config: Configuration,
    plan: ClassroomPlan,
    student_ids: Mapping[str, int],
    versions: Mapping[str, str],
    *,
    cipher: TemplateCipher,
    suffix: str = "",
) -> tuple[dict[int, int], dict[int, dict[str, Gallery]]]:
    """This configuration's copy of every course: course ids and roster galleries by index."""
    course_ids: dict[int, int] = {}
    galleries: dict[int, dict[str, Gallery]] = {}
    with factory.begin() as session:
        for course in plan.courses:
            row = create_course(session, code=f"B{course.index + 1}-{config.name}{suffix}",
                                name=f"bench course {course.index + 1} ({config.name})",
                                timezone="UTC")
            roster = [student_ids[n] for n in course.roster if n in student_ids]
            add_to_roster(session, row.id, student_ids=roster)
            course_ids[course.index] = row.id
            galleries[course.index] = load_gallery(session, roster, versions, cipher=cipher)
    return course_ids, galleries


class _Tally:
    """Face-level bookkeeping of one session: correct, unknown and wrong identifications."""

    def __init__(self, outcome: ConfigOutcome, student_ids: Mapping[str, int],
                 roster: set[int]) -> None:
        self.outcome = outcome
        self.student_ids = student_ids
        self.roster = roster
        #: Faces of each roster student detected, by student id.
        self.detected: dict[int, int] = {}
        #: Who the faces identified as each student really were.
        self.producers: dict[int, set[str]] = {}

    def add(self, face: ObservedFace, got: int | None, *, inherited: bool = False) -> None:
        who = face.truth.label if face.truth is not None else None
        truth = self.student_ids.get(who) if who is not None else None
        if truth not in self.roster:
            truth = None
        if truth is not None:
            self.detected[truth] = self.detected.get(truth, 0) + 1
        if inherited:
            self.outcome.inherited += 1
            self.outcome.wrong_inherited += got != truth
        else:
            self.outcome.embedded += 1
        if got is None:
            self.outcome.unknown_roster += truth is not None
            return
        self.producers.setdefault(got, set()).add(who or "a false detection")
        if got == truth:
            self.outcome.correct += 1
        elif who is None:
            self.outcome.wrong_false_detection += 1
        elif truth is None:
            self.outcome.wrong_walk_in += 1
        else:
            self.outcome.wrong_roster += 1


def _decide(
    galleries: Mapping[str, Gallery],
    frame: ObservedFrame,
    config: Configuration,
    thresholds: Mapping[str, float],
    rows: Sequence[int],
    fusion: FusionParams | None = None,
) -> list[Decision]:
    """Decisions for the faces ``rows`` of ``frame`` from their embeddings."""
    if not rows:
        return []
    embeddings: dict[str, NDArray[np.float32]] = {
        m: frame.embeddings[m][list(rows)] for m in config.models}
    return decide_faces(galleries, embeddings, thresholds, config.rule, fusion)


__all__ = ["CONFIGURATIONS", "ConfigOutcome", "Configuration", "record_configuration"]
