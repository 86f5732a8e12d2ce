"""Face alignment: warp five landmarks onto a canonical template with a similarity transform.

The template was measured on LFW deep-funneled images (mean of dlib's five points over 299
random faces, made left-right symmetric) and framed so that the crop spans from just above
the eyebrows to just below the chin. Coordinates are fractions of the crop's side.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from .protocol import Box

#: Canonical (x, y) positions of dlib's five points, as fractions of the crop side.
TEMPLATE: NDArray[np.float32] = np.array(
    [
        [0.734, 0.380],  # outer corner, eye on the image's right
        [0.602, 0.380],  # inner corner, eye on the image's right
        [0.266, 0.380],  # outer corner, eye on the image's left
        [0.398, 0.380],  # inner corner, eye on the image's left
        [0.500, 0.640],  # base of the nose
    ],
    dtype=np.float32,
)

#: Extra margin around a detector box when no landmarks are available, as a fraction of its side.
BOX_MARGIN = 0.12


def similarity_transform(landmarks: NDArray[np.float32], size: int) -> NDArray[np.float64] | None:
    """Return the 2x3 similarity (rotation, uniform scale, translation) mapping ``landmarks``
    (5, 2 pixels) onto the template of a ``size`` x ``size`` crop, or None if degenerate."""
    src = np.asarray(landmarks, dtype=np.float32).reshape(5, 2)
    dst = TEMPLATE * np.float32(size)
    # A reprojection threshold as large as the crop keeps all five points as inliers, so the
    # Levenberg-Marquardt refinement gives the least-squares fit over every point.
    matrix, _ = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=float(4 * size)
    )
    if matrix is None:
        return None
    return np.asarray(matrix, dtype=np.float64)


def crop_box(image: NDArray[np.uint8], box: Box, size: int) -> NDArray[np.uint8]:
    """Fallback without landmarks: a square crop around ``box`` (top, right, bottom, left),
    enlarged by :data:`BOX_MARGIN` on every side, resized to ``size`` x ``size``."""
    top, right, bottom, left = box
    side = max(bottom - top, right - left) * (1.0 + 2.0 * BOX_MARGIN)
    cx, cy = (left + right) / 2.0, (top + bottom) / 2.0
    scale = size / max(side, 1.0)
    matrix = np.array(
        [[scale, 0.0, size / 2.0 - scale * cx], [0.0, scale, size / 2.0 - scale * cy]],
        dtype=np.float64,
    )
    return _warp(image, matrix, size)


def align_face(
    image: NDArray[np.uint8],
    landmarks: NDArray[np.float32] | None,
    size: int,
    box: Box | None = None,
) -> NDArray[np.uint8]:
    """Return a ``size`` x ``size`` x 3 uint8 crop with the five points on :data:`TEMPLATE`.

    ``image`` is (H, W, 3) uint8; ``landmarks`` (5, 2) float32 pixels (x, y) or None, in which
    case ``box`` must be given and :func:`crop_box` is used. Deterministic: the same input
    always gives the same bytes (bilinear interpolation, replicated borders).
    """
    if landmarks is not None:
        matrix = similarity_transform(landmarks, size)
        if matrix is not None:
            return _warp(image, matrix, size)
    if box is None:
        raise ValueError("align_face needs landmarks or a box")
    return crop_box(image, box, size)


def _warp(image: NDArray[np.uint8], matrix: NDArray[np.float64], size: int) -> NDArray[np.uint8]:
    out = cv2.warpAffine(
        np.ascontiguousarray(image),
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return np.asarray(out, dtype=np.uint8)
