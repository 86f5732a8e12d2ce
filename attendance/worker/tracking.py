"""Seated faces keep their identity from frame to frame, so only unresolved faces are embedded.

In a class the same students sit in the same seats: after the first frames nearly every face
is one the worker identified a few seconds earlier. :class:`FaceTracker` follows each face
box from one analysed frame to the next (greedy matching by overlap, IoU >=
``min_iou``) and lets a face *inherit* its track's identity instead of being embedded again,
but only when all of this holds:

- the track was confidently identified (every model accepted the same student) by full
  embeddings in at least ``confirmations`` frames in a row (the worker asks for
  ``max(2, min_sightings)``): a single stray match is never carried on, so an inherited
  sighting can only follow full sightings that alone already reached ``min_sightings`` -
  inheritance never makes anyone present who the full embeddings did not;
- the face was in the previous analysed frame, at most ``max_gap_s`` seconds earlier, and
  the roster's galleries have not changed since (otherwise every track is dropped);
- its box has not moved away from where it was last embedded (IoU >= ``min_iou``), and
  the face still looks as it did then: the correlation of the two small grey crops aligned
  on the five landmarks (:func:`appearance`) is at least ``min_similarity`` - someone else
  sitting down in the seat, or the student turning their head, is embedded again;
- its last full embedding is fewer than ``reverify_frames`` frames old; tracks are
  re-verified round-robin, on average ``n / reverify_frames`` of the ``n`` inheritable faces
  per frame (the longest unverified first), so the cost is spread evenly over the frames.

An inherited face gets the evidence of its track's last full embedding, each model's entry
marked ``"inherited"`` with the frame and box it came from (:func:`inherited_from`). A
full embedding that does not confirm the track (another student, unknown or unsure) starts
the track afresh.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models import Box
from models.alignment import align_face

from ..config import Settings
from ..detection import DetectedFace
from ..matching.fused import FUSED_KEY

#: The key, inside each model's evidence entry, of an inherited sighting's provenance.
INHERITED_KEY = "inherited"


@dataclass(frozen=True)
class TrackingPolicy:
    """When a face may inherit its identity (see the module docstring).

    ``min_iou``: box overlap (0-1) with the previous frame's box, and with the box of the
    last full embedding; ``min_similarity``: correlation (-1 to 1) of the face's
    :func:`appearance` with the one at the last full embedding; ``reverify_frames``: a
    tracked face is embedded again at least every this many frames; ``confirmations``: full
    embeddings in a row that must name the same student first; ``max_gap_s``: frames
    further apart (seconds) break every track.
    """

    min_iou: float = 0.5
    min_similarity: float = 0.85
    reverify_frames: int = 6
    confirmations: int = 2
    max_gap_s: float = 15.0

    @classmethod
    def from_settings(cls, settings: Settings) -> TrackingPolicy:
        return cls(
            min_iou=settings.track_min_iou,
            min_similarity=settings.track_min_similarity,
            reverify_frames=settings.track_reverify_frames,
            confirmations=max(2, settings.min_sightings),
            max_gap_s=3.0 * settings.capture_interval_seconds,
        )


@dataclass(frozen=True)
class Carried:
    """An identity a face inherits: the student and the evidence to store with it."""

    student_id: int
    evidence: dict[str, Any]


@dataclass
class _Track:
    box: Box
    student_id: int | None
    confirmations: int
    evidence: dict[str, Any]
    verified_at: datetime
    verified_box: Box
    #: The face's :func:`appearance` at the last full embedding (None: not given).
    verified_look: NDArray[np.float32] | None = None
    #: Analysed frames since the last full embedding (0 in that frame).
    age: int = 0


@dataclass
class _Pending:
    seen_at: datetime
    boxes: list[Box]
    looks: list[NDArray[np.float32] | None]
    tracks: list[_Track | None]
    carried: list[Carried | None] = field(default_factory=list)


class FaceTracker:
    """The tracks of one class session's camera. Not thread-safe: one worker tick at a time.

    Each analysed frame is two calls: :meth:`carry` (which faces inherit) and then
    :meth:`record` (what every face was finally given).
    """

    def __init__(self, policy: TrackingPolicy) -> None:
        if policy.reverify_frames < 1 or policy.confirmations < 1:
            raise ValueError("reverify_frames and confirmations must be at least 1")
        self.policy = policy
        self._tracks: list[_Track] = []
        self._last_seen: datetime | None = None
        self._galleries: object = None
        self._pending: _Pending | None = None
        #: Re-verifications owed but not yet made (the fraction of one face left over).
        self._credit = 0.0
        #: Faces that inherited / were embedded, over the tracker's life.
        self.inherited = 0
        self.embedded = 0

    def carry(self, seen_at: datetime, boxes: Sequence[Box], galleries: object = None,
              looks: Sequence[NDArray[np.float32] | None] | None = None,
              ) -> list[Carried | None]:
        """Per box of the frame captured at ``seen_at``: the identity it inherits, or None
        when it needs a full embedding. ``galleries`` is the roster's gallery object the
        frame is matched against: when it is not the previous frame's, tracks are dropped.
        ``looks`` are the faces' :func:`appearance` (a face without one is not checked)."""
        faces: list[NDArray[np.float32] | None] = (
            list(looks) if looks is not None else [None] * len(boxes))
        if len(faces) != len(boxes):
            raise ValueError("carry() needs one look per box")
        gap = None if self._last_seen is None else (seen_at - self._last_seen).total_seconds()
        if gap is None or not 0 <= gap <= self.policy.max_gap_s or galleries is not self._galleries:
            self._tracks = []
        self._galleries = galleries
        matched = _match(boxes, [t.box for t in self._tracks], self.policy.min_iou)
        tracks = [self._tracks[j] if j is not None else None for j in matched]
        for track in tracks:
            if track is not None:
                track.age += 1
        candidates = [i for i, t in enumerate(tracks) if t is not None and self._inheritable(
            t, boxes[i], faces[i])]
        verify = self._due(candidates, tracks)
        carried: list[Carried | None] = [None] * len(boxes)
        for i in candidates:
            track = tracks[i]
            if i in verify or track is None or track.student_id is None:
                continue
            carried[i] = Carried(track.student_id, _inherited_evidence(track, boxes[i]))
        self._pending = _Pending(seen_at, list(boxes), faces, tracks, carried)
        return carried

    def record(self, results: Sequence[tuple[int | None, Mapping[str, Any]]]) -> None:
        """What each face of the last :meth:`carry` was given: (student or None, evidence),
        the carried identity for inherited faces, the full decision for the others."""
        pending, self._pending = self._pending, None
        if pending is None or len(results) != len(pending.boxes):
            raise ValueError("record() needs one result per box of the preceding carry()")
        tracks: list[_Track] = []
        for box, look, track, carried, (student_id, evidence) in zip(
                pending.boxes, pending.looks, pending.tracks, pending.carried, results,
                strict=True):
            if carried is not None and track is not None:
                track.box = box
                self.inherited += 1
                tracks.append(track)
                continue
            self.embedded += 1
            confident = _confident(student_id, evidence)
            same = track is not None and confident and track.student_id == student_id
            confirmations = (track.confirmations + 1 if same and track is not None
                             else int(confident))
            tracks.append(_Track(box, student_id if confident else None, confirmations,
                                 dict(evidence), pending.seen_at, box, look))
        self._tracks = tracks
        self._last_seen = pending.seen_at

    def _inheritable(self, track: _Track, box: Box, look: NDArray[np.float32] | None) -> bool:
        if (track.student_id is None or track.confirmations < self.policy.confirmations
                or box_iou(box, track.verified_box) < self.policy.min_iou):
            return False
        if look is None or track.verified_look is None:
            return True
        return float(look @ track.verified_look) >= self.policy.min_similarity

    def _due(self, candidates: list[int], tracks: Sequence[_Track | None]) -> set[int]:
        """The candidates to embed again this frame, oldest first: every one whose last full
        embedding is ``reverify_frames`` old, and ``n / reverify_frames`` on average (the
        fraction carried to the next frame)."""
        if not candidates:
            self._credit = 0.0
            return set()
        age = {i: t.age for i in candidates if (t := tracks[i]) is not None}
        forced = sum(1 for i in candidates if age[i] >= self.policy.reverify_frames)
        owed = self._credit + len(candidates) / self.policy.reverify_frames
        count = max(forced, math.floor(owed + 1e-9))
        self._credit = min(1.0, max(0.0, owed - count))
        return set(sorted(candidates, key=lambda i: (-age[i], i))[:count])


#: Side (px) of the grey crop :func:`appearance` compares, and its blur (sigma, px).
LOOK_SIDE, LOOK_BLUR = 24, 1.0


def appearance(image_rgb: NDArray[np.uint8], face: DetectedFace) -> NDArray[np.float32]:
    """What a face looks like, cheaply: a 24x24 grey crop aligned on its five landmarks
    (``models.alignment``), blurred a little, zero mean and unit norm, so the dot product of
    two is their correlation (1: the same picture). Box jitter and small movements hardly
    change it; another person, or the same one turning their head, does. About 0.1 ms."""
    import cv2  # noqa: PLC0415 - heavy import, only when faces are tracked

    crop = align_face(image_rgb, face.landmarks, LOOK_SIDE, face.box)
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(np.float32)
    pixels = cv2.GaussianBlur(grey, (0, 0), LOOK_BLUR).ravel()
    pixels -= pixels.mean()
    norm = float(np.linalg.norm(pixels))
    look: NDArray[np.float32] = (pixels / norm if norm > 0 else pixels).astype(np.float32)
    return look


def box_iou(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes, 0-1."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    union = (a[2] - a[0]) * (a[1] - a[3]) + (b[2] - b[0]) * (b[1] - b[3]) - inter
    return inter / union if union > 0 else 0.0


def _match(boxes: Sequence[Box], previous: Sequence[Box], min_iou: float) -> list[int | None]:
    """For each box, the index of the previous frame's box it continues (greedy by IoU, each
    previous box used once), or None."""
    pairs = sorted(((box_iou(b, p), i, j) for i, b in enumerate(boxes)
                    for j, p in enumerate(previous)), reverse=True)
    result: list[int | None] = [None] * len(boxes)
    used: set[int] = set()
    for iou, i, j in pairs:
        if iou < min_iou:
            break
        if result[i] is None and j not in used:
            result[i] = j
            used.add(j)
    return result


def _confident(student_id: int | None, evidence: Mapping[str, Any]) -> bool:
    """Every model's entry accepted ``student_id`` (an unsure or one-model match is not);
    under the fused rules, the fused score did (the models' own verdicts do not decide: a face
    the ``fused`` rule named on dlib's acceptance alone is embedded again in the next frame)."""
    fused = evidence.get(FUSED_KEY)
    if isinstance(fused, Mapping):
        return (student_id is not None and fused.get("accepted") is True
                and fused.get("candidate") == student_id)
    entries = [e for e in evidence.values() if isinstance(e, Mapping)]
    return student_id is not None and bool(entries) and all(
        e.get("accepted") is True and e.get("candidate") == student_id for e in entries)


def _inherited_evidence(track: _Track, box: Box) -> dict[str, Any]:
    """The track's last full evidence, each model's entry saying where it was measured."""
    provenance = {
        "from_seen_at": track.verified_at.isoformat(),
        "from_box": list(track.verified_box),
        "previous_box": list(track.box),
        "iou": round(box_iou(box, track.box), 3),
        "frames_since_embedding": track.age,
    }
    return {model: {**entry, INHERITED_KEY: dict(provenance)} if isinstance(entry, Mapping)
            else entry for model, entry in track.evidence.items()}


@dataclass(frozen=True)
class Inheritance:
    """Where an inherited sighting's identity came from: the capture time and box of the
    full embedding, the previous frame's box it overlapped (IoU) and the frames since."""

    from_seen_at: datetime
    from_box: Box
    previous_box: Box
    iou: float
    frames_since_embedding: int


def inherited_from(evidence: Mapping[str, Any]) -> Inheritance | None:
    """The provenance of an inherited sighting's ``evidence``, or None for a face that was
    embedded in its own frame."""
    for entry in evidence.values():
        raw = entry.get(INHERITED_KEY) if isinstance(entry, Mapping) else None
        if isinstance(raw, Mapping):
            t, r, b, left = (int(v) for v in raw["from_box"])
            pt, pr, pb, pl = (int(v) for v in raw["previous_box"])
            return Inheritance(datetime.fromisoformat(str(raw["from_seen_at"])), (t, r, b, left),
                               (pt, pr, pb, pl), float(raw["iou"]),
                               int(raw["frames_since_embedding"]))
    return None


__all__ = [
    "INHERITED_KEY",
    "Carried",
    "FaceTracker",
    "Inheritance",
    "TrackingPolicy",
    "appearance",
    "box_iou",
    "inherited_from",
]
