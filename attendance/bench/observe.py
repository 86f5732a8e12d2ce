"""Compose each planned frame once, detect its faces and embed them with every model once.

The decision and record stage then runs once per configuration on these observations, so
the expensive part (detection, embedding) is shared by dlib alone, the in-house CNN alone
and both combined. The pieces are the worker's own: the configured detector
(:func:`attendance.worker.recognition.settings_detector`), :func:`face_inputs` and each
embedder's ``embed``; :class:`~attendance.worker.recognition.Recognizer.analyse` cannot be
reused as is because it fuses the models' verdicts in the same call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models import Embedder

from ..detection import DetectedFace, face_inputs
from ..worker.tracking import appearance
from .metrics import Box, match_boxes
from .plan import FramePlan
from .scenes import FaceSpec, PlacedFace, Scene, compose_at, compose_scene

Detector = Callable[[NDArray[np.uint8]], list[DetectedFace]]


@dataclass(frozen=True, eq=False)
class ObservedFace:
    """A detected face: its box, the pasted face it matches (None: a false detection), and
    its :func:`~attendance.worker.tracking.appearance` (what the worker's tracker compares)."""

    box: Box
    truth: PlacedFace | None
    look: NDArray[np.float32] | None = None


@dataclass(frozen=True, eq=False)
class ObservedFrame:
    """One frame of one session after detection and embedding.

    ``embeddings`` maps model name to a (faces, dimension) float32 array in the order of
    ``faces``; ``seconds`` maps ``"detect"`` and each model name to wall-clock seconds.
    """

    session: int
    index: int
    truth: tuple[PlacedFace, ...]
    faces: tuple[ObservedFace, ...]
    embeddings: dict[str, NDArray[np.float32]]
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def missed(self) -> list[PlacedFace]:
        """Pasted faces no detection matched (detector misses)."""
        found = {id(f.truth) for f in self.faces if f.truth is not None}
        return [t for t in self.truth if id(t) not in found]


@lru_cache(maxsize=4096)
def lfw_rgb(path: Path) -> NDArray[np.uint8]:
    """An LFW image as an (H, W, 3) uint8 RGB array (cached: photos recur across frames)."""
    from PIL import Image  # noqa: PLC0415 - only when composing scenes

    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    pixels.setflags(write=False)
    return pixels


def compose_planned(frame: FramePlan) -> Scene:
    """The frame scripted by ``frame``, identical for identical plans."""
    specs = [FaceSpec(lfw_rgb(a.photo), a.face_height, a.name, a.gain, a.blur_sigma)
             for a in frame.appearances]
    rng = np.random.default_rng(frame.seed)
    if frame.room_seed is None:
        return compose_scene(specs, rng, frame.size)
    placed = [(spec, float(a.x or 0.0), float(a.y or 0.0))
              for spec, a in zip(specs, frame.appearances, strict=True)]
    return compose_at(placed, rng, frame.size,
                      background=np.random.default_rng(frame.room_seed))


def observe(
    session: int,
    frame: FramePlan,
    scene: Scene,
    detector: Detector,
    embedders: Sequence[Embedder],
) -> ObservedFrame:
    """Detect and embed the faces of ``scene`` (the composition of ``frame``)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    detected = detector(scene.frame)
    seconds["detect"] = time.perf_counter() - started
    inputs = face_inputs(scene.frame, detected)
    embeddings: dict[str, NDArray[np.float32]] = {}
    for embedder in embedders:
        started = time.perf_counter()
        embeddings[embedder.name] = np.asarray(embedder.embed(inputs), dtype=np.float32)
        seconds[embedder.name] = time.perf_counter() - started
    truth_index = match_boxes([t.box for t in scene.faces], [d.box for d in detected])
    faces = tuple(
        ObservedFace(d.box, scene.faces[i] if i is not None else None,
                     appearance(scene.frame, d))
        for d, i in zip(detected, truth_index, strict=True)
    )
    return ObservedFrame(session, frame.index, scene.faces, faces, embeddings, seconds)


def save_frame(scene: Scene, path: Path) -> None:
    """Write the frame as a JPEG (quality 92) for people to look at."""
    from PIL import Image  # noqa: PLC0415 - only when frames are saved

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(scene.frame).save(path, format="JPEG", quality=92)


__all__ = ["ObservedFace", "ObservedFrame", "compose_planned", "lfw_rgb", "observe", "save_frame"]
