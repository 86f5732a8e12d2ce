"""One frame in, one decision per face out: detect, embed with every model, match, fuse.

With a :class:`~attendance.worker.tracking.FaceTracker`, a face that inherits its identity
from the previous frame is not embedded at all: the cost of a frame follows its unresolved
faces. Nothing here touches the frame store (there is none: frames are never kept) or writes
to the database; the roster's gallery is loaded through :class:`GalleryCache`, once per
class session and again only when the roster or its embeddings change.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Box, Embedder
from models.fusion_params import FusionParams

from ..config import Settings
from ..crypto import TemplateCipher
from ..db import ClassSession, Enrollment, FaceEmbedding, consent_covers
from ..detection import DetectedFace, bgr_to_rgb, detect_faces, face_inputs
from ..matching import FUSED_KEY, Decision, Gallery, decide_faces, fusion_for, load_gallery
from .tracking import FaceTracker, appearance

logger = logging.getLogger(__name__)

Detector = Callable[[NDArray[np.uint8]], list[DetectedFace]]

@dataclass(frozen=True)
class FaceResult:
    """One face of a frame: its box (top, right, bottom, left, pixels), the student or None
    (unknown), and per-model evidence as stored on the Sighting; ``inherited`` when the
    identity was carried over from the previous frame instead of embedded."""

    box: Box
    student_id: int | None
    evidence: dict[str, Any]
    inherited: bool = False


@dataclass
class StageTimes:
    """Seconds spent per stage on one frame."""

    detect: float = 0.0
    embed: float = 0.0
    match: float = 0.0
    write: float = 0.0


@dataclass(frozen=True)
class FrameAnalysis:
    """The faces of one frame, the stage times, and how many faces were embedded (the
    others inherited their identity)."""

    faces: list[FaceResult]
    times: StageTimes = field(default_factory=StageTimes)
    embedded: int = 0


def settings_detector(settings: Settings) -> Detector:
    """``detect_faces`` for camera frames with the detector, downscale limit and upsampled
    band of ``settings``."""

    def detect(image_rgb: NDArray[np.uint8]) -> list[DetectedFace]:
        return detect_faces(
            image_rgb, detector=settings.detector, max_side=settings.detection_frame_max_side,
            upsample_band=settings.detection_upsample_band,
        )

    return detect


class Recognizer:
    """Turns BGR frames into :class:`FaceResult` lists for a given gallery.

    ``embedders`` are the enabled models in configuration order; ``thresholds`` their
    acceptance distances by name; ``rule`` the fusion rule (``settings.fusion_rule``);
    ``fusion`` the parameters of the ``fused`` rule (needed when it fuses two models).
    """

    def __init__(
        self,
        embedders: Sequence[Embedder],
        *,
        detector: Detector,
        thresholds: Mapping[str, float],
        rule: str,
        fusion: FusionParams | None = None,
    ) -> None:
        if not embedders:
            raise ValueError("the recognizer needs at least one embedder")
        self.embedders = list(embedders)
        self.detector = detector
        self.thresholds = dict(thresholds)
        self.rule = rule
        self.fusion = fusion

    @classmethod
    def from_settings(cls, settings: Settings, embedders: Sequence[Embedder]) -> Recognizer:
        return cls(
            embedders,
            detector=settings_detector(settings),
            thresholds={e.name: settings.threshold_for(e.name) for e in embedders},
            rule=settings.fusion_rule,
            fusion=fusion_for(settings, {e.name: e.version for e in embedders}),
        )

    @property
    def model_versions(self) -> dict[str, str]:
        return {e.name: e.version for e in self.embedders}

    def analyse(
        self,
        frame_bgr: NDArray[np.uint8],
        galleries: Mapping[str, Gallery],
        *,
        tracker: FaceTracker | None = None,
        seen_at: datetime | None = None,
    ) -> FrameAnalysis:
        """Detect, embed and identify every face of one BGR frame (H, W, 3 uint8).

        With ``tracker`` (and ``seen_at``, the capture time), faces that inherit their
        identity from the previous frame are not embedded."""
        times = StageTimes()
        started = time.perf_counter()
        rgb = bgr_to_rgb(frame_bgr)
        # The models serialise their own calls (models.dlib_models, the Keras embedder).
        faces = self.detector(rgb)
        times.detect = time.perf_counter() - started
        started = time.perf_counter()  # embed: which faces need it (the tracker), then those
        carried = (tracker.carry(seen_at, [f.box for f in faces], galleries,
                                 [appearance(rgb, f) for f in faces])
                   if tracker is not None and seen_at is not None else [None] * len(faces))
        todo = [i for i, c in enumerate(carried) if c is None]
        inputs = face_inputs(rgb, [faces[i] for i in todo])
        embeddings = {e.name: e.embed(inputs) for e in self.embedders} if todo else {}
        times.embed = time.perf_counter() - started
        started = time.perf_counter()
        decisions = dict(zip(todo, self.decide(galleries, embeddings), strict=True))
        results = []
        for i, face in enumerate(faces):
            carry = carried[i]
            if carry is not None:
                results.append(FaceResult(face.box, carry.student_id, carry.evidence, True))
            else:
                results.append(FaceResult(face.box, decisions[i].student_id,
                                          evidence_of(decisions[i])))
        if tracker is not None and seen_at is not None:
            tracker.record([(r.student_id, r.evidence) for r in results])
        times.match = time.perf_counter() - started
        return FrameAnalysis(results, times, len(todo))

    def decide(self, galleries: Mapping[str, Gallery],
               embeddings: Mapping[str, NDArray[np.float32]]) -> list[Decision]:
        """Identify embedded faces (per model name, (faces, dimension) float32) against the
        roster's ``galleries`` with the configured thresholds and fusion rule."""
        if not embeddings or not len(next(iter(embeddings.values()))):
            return []
        usable = {
            name: galleries.get(name) or Gallery.empty(name, self.model_versions[name], 0)
            for name in embeddings
        }
        for name, vectors in embeddings.items():
            if len(usable[name]) == 0 or usable[name].dimension != vectors.shape[1]:
                usable[name] = Gallery.empty(name, self.model_versions[name], vectors.shape[1])
        return decide_faces(usable, dict(embeddings), self.thresholds, self.rule, self.fusion)


def evidence_of(decision: Decision) -> dict[str, Any]:
    """Per model: distance to the nearest student (None when the gallery is empty), the
    threshold, the model version and the nearest student's id (the candidate). Under the
    ``fused`` rule also, keyed ``"fused"``, the same figures of the fused score (distance:
    minus the logit) plus ``p``, its p(same person), the fit's version, the runner-up
    student, how far behind it is (``margin``) and whether that is within the fit's margin
    (``ambiguous``)."""
    evidence: dict[str, Any] = {}
    for name, match in decision.matches.items():
        evidence[name] = {
            "distance": round(match.distance, 6) if math.isfinite(match.distance) else None,
            "threshold": match.threshold,
            "version": match.model_version,
            "candidate": match.student_id,
            "accepted": match.accepted,
        }
    fused = decision.fused
    if fused is not None:
        finite = math.isfinite(fused.distance)
        evidence[FUSED_KEY] = {
            "distance": round(fused.distance, 6) if finite else None,
            "p": round(fused.probability, 6) if finite else None,
            "threshold": fused.threshold,
            "version": fused.version,
            "candidate": fused.student_id,
            "accepted": fused.accepted,
            "runner_up": fused.runner_up_id,
            "margin": (round(fused.runner_up_distance - fused.distance, 6)
                       if math.isfinite(fused.runner_up_distance - fused.distance) else None),
            "ambiguous": fused.ambiguous,
        }
    return evidence


class GalleryCache:
    """The roster gallery of each class session, reloaded only when the roster changes.

    The change check is one small query per call (roster ids, count and newest id of their
    embeddings); when the database is unreachable the cached gallery keeps serving.
    """

    def __init__(self, model_versions: Mapping[str, str],
                 cipher: TemplateCipher | None = None) -> None:
        self._versions = dict(model_versions)
        #: Decrypts the stored templates (and encrypts thumbnails), ``attendance.crypto``.
        self.cipher = cipher
        self._cache: dict[int, tuple[tuple[Any, ...], dict[str, Gallery]]] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, session: Session, class_session_id: int) -> dict[str, Gallery]:
        """The galleries (by model name) of the session's roster, loading them if needed."""
        signature = self._signature(session, class_session_id)
        with self._lock:
            cached = self._cache.get(class_session_id)
            if cached is not None and cached[0] == signature:
                return cached[1]
        roster = list(signature[0])
        galleries = load_gallery(session, roster, self._versions, course_id=signature[3],
                                 cipher=self.cipher)
        self.loads += 1
        logger.info("loaded gallery of class session %d: %d students", class_session_id,
                    len(roster))
        with self._lock:
            self._cache[class_session_id] = (signature, galleries)
        return galleries

    def cached(self, class_session_id: int) -> dict[str, Gallery] | None:
        """The last gallery loaded for the session, without asking the database."""
        with self._lock:
            entry = self._cache.get(class_session_id)
        return None if entry is None else entry[1]

    def forget(self, class_session_id: int) -> None:
        with self._lock:
            self._cache.pop(class_session_id, None)

    def _signature(self, session: Session, class_session_id: int) -> tuple[Any, ...]:
        course_id = session.scalar(
            select(ClassSession.course_id).where(ClassSession.id == class_session_id)
        )
        # Only students whose consent covers the course: a withdrawal changes the signature,
        # so the next frame is matched without them.
        roster = tuple(sorted(session.scalars(
            select(Enrollment.student_id).where(
                Enrollment.course_id == course_id,
                consent_covers(Enrollment.student_id, course_id))
        )))
        stats = session.execute(
            select(func.count(FaceEmbedding.id), func.max(FaceEmbedding.id)).where(
                FaceEmbedding.student_id.in_(roster),
                FaceEmbedding.model_name.in_(list(self._versions)),
            )
        ).one()
        return (roster, int(stats[0] or 0), stats[1], course_id)


__all__ = [
    "Detector",
    "FaceResult",
    "FrameAnalysis",
    "GalleryCache",
    "Recognizer",
    "StageTimes",
    "evidence_of",
    "settings_detector",
]
