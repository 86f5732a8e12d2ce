"""Five facial landmarks from dlib's small shape predictor (through :mod:`models.dlib_models`,
which never lets two threads call it at once).

The predictor is loaded lazily on first use: importing this module costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .dlib_models import dlib_models
from .protocol import Box


def five_point_landmarks(
    image_rgb: NDArray[np.uint8], boxes: Sequence[Box]
) -> list[NDArray[np.float32]]:
    """Locate five landmarks inside each face box.

    ``image_rgb`` is an (H, W, 3) uint8 RGB image; ``boxes`` are (top, right, bottom, left)
    pixel boxes. Returns one (5, 2) float32 array of (x, y) pixel coordinates per box, in
    dlib's order: outer and inner corner of the eye on the image's right, outer and inner
    corner of the eye on the image's left, base of the nose.
    """
    return dlib_models().landmarks(np.ascontiguousarray(image_rgb), boxes)
