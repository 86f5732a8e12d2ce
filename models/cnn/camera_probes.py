"""Camera-like probes of LFW images, for the open-set simulation that sets the thresholds.

Enrolled photos are uploads of good quality, like LFW's own images; the faces a classroom
camera films are small and compressed, and both models' distances widen on them, by
different amounts. The roster simulation (:mod:`models.cnn.openset`) therefore enrols
rosters from the images as they are and probes them with each image as a camera sees it:
the ``small`` teacher view of :mod:`models.cnn.views` (face box shrunk to 36-72 px wide,
JPEG quality 55-90, landmarks found again on the shrunk image), with dlib's descriptor and
the in-house crop of that shrunk image. Only the rows asked for are computed (the
simulation's people, folds 6-10); about 0.05 s per image per process, cached in an .npz.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .features import LfwFeatures, map_with_progress, save_npz
from .views import embed_views, view_tasks

logger = logging.getLogger(__name__)

#: The teacher view a camera probe is.
CAMERA_VIEW = "small"
CAMERA_PROBES_VERSION = 1


@dataclass(frozen=True)
class CameraProbes:
    """``rows`` of :class:`~models.cnn.features.LfwFeatures`, and per row the camera-like
    image's aligned in-house crop (64x64x3 uint8) and dlib descriptor (128 float32)."""

    rows: NDArray[np.int64]
    crops: NDArray[np.uint8]
    dlib: NDArray[np.float32]


def compute_camera_probes(
    images_dir: Path,
    features: LfwFeatures,
    rows: NDArray[np.int64],
    cache_path: Path,
    workers: int = 2,
    seed: int = 0,
) -> CameraProbes:
    """Compute (or load, if ``cache_path`` holds the same rows) the camera probes of ``rows``."""
    if cache_path.is_file():
        return load_camera_probes(cache_path, rows)
    tasks = view_tasks(images_dir, features, rows, seed, (CAMERA_VIEW,))
    logger.info("computing camera-like probes of %d images", len(tasks))
    results = map_with_progress(embed_views, tasks, workers)
    probes = CameraProbes(
        rows=np.asarray(rows, dtype=np.int64),
        crops=np.stack([r[0][0] for r in results]).astype(np.uint8),
        dlib=np.stack([r[1][0] for r in results]).astype(np.float32),
    )
    save_npz(cache_path, version=np.int32(CAMERA_PROBES_VERSION), rows=probes.rows,
             crops=probes.crops, dlib=probes.dlib)
    return probes


def load_camera_probes(cache_path: Path, rows: NDArray[np.int64]) -> CameraProbes:
    """Load probes saved by :func:`compute_camera_probes`; ValueError if the file is of
    another version or holds other rows."""
    with np.load(cache_path) as data:
        if "version" not in data or int(data["version"]) != CAMERA_PROBES_VERSION:
            raise ValueError(f"{cache_path} is not a version {CAMERA_PROBES_VERSION} camera "
                             "probe cache; delete it")
        probes = CameraProbes(rows=data["rows"], crops=data["crops"], dlib=data["dlib"])
    if not np.array_equal(probes.rows, rows):
        raise ValueError(f"{cache_path} holds the probes of other images; delete it")
    return probes
