"""Face detection: one interface over dlib HOG, dlib CNN and OpenCV's Haar cascade.

Every detector returns plain :class:`DetectedFace` values: a (top, right, bottom, left) pixel
box in the caller's image and five landmarks from ``models.five_point_landmarks`` (so the
embedders can align a face the same way whichever detector found it). Large frames are
downscaled for detection only; boxes are mapped back to the original pixels and clipped to it,
and landmarks are located on the full-resolution image.

Detector libraries are imported on first use and cached, so importing this module is cheap.
dlib's detectors are called through ``models.dlib_models`` and the Haar cascade under a lock:
no model object is ever called from two threads at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models import Box, FaceInput
from models.dlib_models import dlib_models
from models.landmarks import five_point_landmarks

from .config import DETECTORS

logger = logging.getLogger(__name__)

#: OpenCV's frontal-face cascade shipped in ``cv2.data.haarcascades``.
HAAR_CASCADE_FILE = "haarcascade_frontalface_default.xml"
_HAAR_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class DetectedFace:
    """One face found in an image.

    ``box`` is (top, right, bottom, left) in pixels of the image given to :func:`detect_faces`,
    clipped to it, so ``image[top:bottom, left:right]`` is the face. ``landmarks`` is a (5, 2)
    float32 array of (x, y) pixel positions in dlib's five-point order (eye corners, base of
    the nose).
    """

    box: Box
    landmarks: NDArray[np.float32]

    @property
    def height(self) -> int:
        """Height of the box, pixels."""
        return self.box[2] - self.box[0]

    @property
    def width(self) -> int:
        """Width of the box, pixels."""
        return self.box[1] - self.box[3]


def detect_faces(
    image_rgb: NDArray[np.uint8],
    *,
    detector: str = "hog",
    max_side: int = 1280,
    upsample: int = 1,
    upsample_band: float = 1.0,
) -> list[DetectedFace]:
    """Find the faces in an RGB image, largest first.

    ``image_rgb`` is an (H, W, 3) uint8 RGB array (convert OpenCV's BGR frames with
    :func:`bgr_to_rgb` first). ``detector`` is ``"hog"`` (dlib HOG: fast, frontal faces),
    ``"cnn"`` (dlib's CNN: finds turned faces too, about 100x slower on a CPU) or ``"haar"``
    (OpenCV's cascade: fastest, most false positives). When the longer side exceeds
    ``max_side`` pixels the image is downscaled for detection. ``upsample`` is how many times
    dlib doubles the image to find small faces (HOG without it finds faces down to about
    60 px high, with one doubling down to about 30 px; ignored by ``haar``, which scans every
    scale). ``upsample_band`` (0-1) is the share of the image, from its top, scanned with
    ``upsample``; the rest is scanned without (about 5 times faster per pixel). A classroom
    camera at the front of the room sees its small faces, the back rows, at the top of the
    frame: see :func:`_locate_banded` and ``docs/benchmarks.md`` for the measured choice.
    """
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; valid: {', '.join(DETECTORS)}")
    if not 0.0 <= upsample_band <= 1.0:
        raise ValueError(f"upsample_band must be between 0 and 1, got {upsample_band}")
    image = _as_rgb(image_rgb)
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    small = _resize(image, scale) if scale < 1.0 else image
    if detector == "haar" or upsample == 0 or upsample_band >= 1.0:
        raw_boxes = _locate(small, detector, upsample)
    else:
        raw_boxes = _locate_banded(small, detector, upsample, upsample_band)
    boxes = [_map_back(box, scale, height, width) for box in raw_boxes]
    boxes = [b for b in boxes if b[2] - b[0] >= 2 and b[1] - b[3] >= 2]
    boxes.sort(key=lambda b: (b[2] - b[0]) * (b[1] - b[3]), reverse=True)
    landmarks = five_point_landmarks(image, boxes) if boxes else []
    logger.debug("%s found %d face(s) in a %dx%d image (scale %.3f)",
                 detector, len(boxes), width, height, scale)
    return [DetectedFace(box=b, landmarks=lm) for b, lm in zip(boxes, landmarks, strict=True)]


def face_inputs(
    image_rgb: NDArray[np.uint8], faces: Sequence[DetectedFace]
) -> list[FaceInput]:
    """The embedder inputs for ``faces`` found in ``image_rgb`` (the same image, unscaled)."""
    image = _as_rgb(image_rgb)
    return [FaceInput(image=image, box=f.box, landmarks=f.landmarks) for f in faces]


def bgr_to_rgb(frame_bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """An OpenCV BGR frame as a C-contiguous RGB array (dlib refuses reversed-stride views)."""
    import cv2  # noqa: PLC0415 - heavy import, only when frames are converted

    rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def _as_rgb(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    return np.ascontiguousarray(image)


def _resize(image: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    import cv2  # noqa: PLC0415 - heavy import, only when a frame is downscaled

    height, width = image.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small, dtype=np.uint8)


def _map_back(box: Box, scale: float, height: int, width: int) -> Box:
    """Map a box found at ``scale`` back to full-size pixels, clipped to the image."""
    top, right, bottom, left = (v / scale for v in box)
    return (
        max(0, min(height, round(top))),
        max(0, min(width, round(right))),
        max(0, min(height, round(bottom))),
        max(0, min(width, round(left))),
    )


#: Banded detection: the upsampled band reaches this share of the image height below its
#: edge (a small face across the edge is still whole in it), and the rest starts this much
#: above it (so does a large one, up to about a quarter of the image high).
_SMALL_OVERLAP, _LARGE_OVERLAP = 0.06, 0.25
#: Boxes of the two scans sharing at least this share of the smaller one are one face.
_SAME_FACE_SHARE = 0.5


def _locate_banded(image: NDArray[np.uint8], detector: str, upsample: int,
                   band: float) -> list[Box]:
    """Faces in the top ``band`` of ``image`` (0-1 of its height) found with ``upsample``,
    and in the rest without. A face both scans find is kept once, with the larger box (the
    other may be cut off at its scan's edge)."""
    height = image.shape[0]
    cut = round(band * height)
    boxes: list[Box] = []
    if cut > 0:
        end = min(height, cut + round(_SMALL_OVERLAP * height))
        boxes = _locate(np.ascontiguousarray(image[:end]), detector, upsample)
    start = max(0, cut - round(_LARGE_OVERLAP * height))
    for top, right, bottom, left in _locate(np.ascontiguousarray(image[start:]), detector, 0):
        box = (top + start, right, bottom + start, left)
        same = [i for i, other in enumerate(boxes) if _shared(box, other) >= _SAME_FACE_SHARE]
        if not same:
            boxes.append(box)
        elif all(_area(box) > _area(boxes[i]) for i in same):
            boxes = [b for i, b in enumerate(boxes) if i not in same] + [box]
    return boxes


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[1] - box[3])


def _shared(a: Box, b: Box) -> float:
    """The area two boxes share, over the smaller one's area (0-1)."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    smaller = min(_area(a), _area(b))
    return max(0, bottom - top) * max(0, right - left) / smaller if smaller else 0.0


def _locate(image: NDArray[np.uint8], detector: str, upsample: int) -> list[Box]:
    if detector == "haar":
        return _locate_haar(image)
    return dlib_models().detect(image, model=detector, upsample=upsample)


def _locate_haar(image: NDArray[np.uint8]) -> list[Box]:
    import cv2  # noqa: PLC0415 - heavy import, only for the haar detector

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    with _HAAR_LOCK:  # one cascade object per process: never two threads in it at once
        found = _haar_cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5,
                                                 minSize=(30, 30))
    return [(int(y), int(x + w), int(y + h), int(x)) for x, y, w, h in found]


@cache
def _haar_cascade() -> Any:
    import cv2  # noqa: PLC0415 - heavy import, only for the haar detector

    # cv2's bundled stubs omit the ``cv2.data`` submodule that the wheels ship.
    path = cv2.data.haarcascades + HAAR_CASCADE_FILE  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(f"OpenCV could not load its Haar cascade {path}")
    logger.info("loaded OpenCV Haar cascade %s", path)
    return cascade


__all__ = ["DetectedFace", "bgr_to_rgb", "detect_faces", "face_inputs"]
