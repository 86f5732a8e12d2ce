"""Five facial landmarks from dlib's small shape predictor (through ``face_recognition``).

The predictor is loaded lazily on first use: importing this module costs nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .protocol import Box

logger = logging.getLogger(__name__)


@cache
def _predictor() -> Any:
    """Return ``face_recognition``'s 5-point pose predictor (loads its models once)."""
    import face_recognition.api as fr_api  # noqa: PLC0415 - heavy: loads dlib models

    logger.debug("loaded dlib 5-point shape predictor")
    return fr_api.pose_predictor_5_point


def five_point_landmarks(
    image_rgb: NDArray[np.uint8], boxes: Sequence[Box]
) -> list[NDArray[np.float32]]:
    """Locate five landmarks inside each face box.

    ``image_rgb`` is an (H, W, 3) uint8 RGB image; ``boxes`` are (top, right, bottom, left)
    pixel boxes. Returns one (5, 2) float32 array of (x, y) pixel coordinates per box, in
    dlib's order: outer and inner corner of the eye on the image's right, outer and inner
    corner of the eye on the image's left, base of the nose.
    """
    import dlib  # noqa: PLC0415 - dlib is only needed once landmarks are asked for

    predictor = _predictor()
    image = np.ascontiguousarray(image_rgb)
    result: list[NDArray[np.float32]] = []
    for top, right, bottom, left in boxes:
        shape = predictor(image, dlib.rectangle(int(left), int(top), int(right), int(bottom)))
        points = [(p.x, p.y) for p in shape.parts()]
        result.append(np.asarray(points, dtype=np.float32).reshape(5, 2))
    return result
