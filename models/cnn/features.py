"""One pass over LFW computing everything training and evaluation need, cached in an .npz.

For every image: a HOG face box (the detection nearest the image centre; upsampled once if
nothing is found; else the central box, since deep-funneled faces are centred), dlib's five
landmarks, dlib's 128-d embedding (the distillation teacher and the baseline) and the aligned
in-house crops (64x64 and 96x96). About 0.07 s per image per process; run once, reused by
train and evaluate.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from ..alignment import align_face
from ..protocol import Box, FaceInput
from .lfw import list_images

logger = logging.getLogger(__name__)

#: Where the face lies in a 250x250 deep-funneled image when HOG finds nothing.
CENTRAL_BOX: Box = (70, 180, 180, 70)
#: Side (pixels) of the stored aligned crops (``crops``: face_cnn_v1's input).
CROP_SIZE = 64
#: Side (pixels) of the larger stored crops (``crops_large``: face_cnn_v2's input).
LARGE_CROP_SIZE = 96
CACHE_VERSION = 2


@dataclass(frozen=True)
class LfwFeatures:
    """Per-image arrays, all indexed alike (N images, sorted by person then number).

    ``box_source``: 0 = HOG, 1 = HOG after one upsampling, 2 = central fallback box.
    """

    person: NDArray[np.str_]
    number: NDArray[np.int32]
    boxes: NDArray[np.int32]
    box_source: NDArray[np.int8]
    landmarks: NDArray[np.float32]
    dlib: NDArray[np.float32]
    crops: NDArray[np.uint8]
    crops_large: NDArray[np.uint8]

    def crops_of_size(self, size: int) -> NDArray[np.uint8]:
        """The stored crops whose side is ``size`` pixels; ValueError for any other size."""
        for crops in (self.crops, self.crops_large):
            if crops.shape[1] == size:
                return crops
        raise ValueError(f"no {size}x{size} crops in the cache ({CROP_SIZE}, {LARGE_CROP_SIZE})")

    def index(self) -> dict[tuple[str, int], int]:
        """Map (person, 1-based number) to the row of that image."""
        return {
            (str(p), int(n)): i
            for i, (p, n) in enumerate(zip(self.person, self.number, strict=True))
        }


def _central(boxes: list[Box], shape: tuple[int, ...]) -> Box:
    cy, cx = shape[0] / 2.0, shape[1] / 2.0
    return min(boxes, key=lambda b: abs((b[0] + b[2]) / 2 - cy) + abs((b[1] + b[3]) / 2 - cx))


_Crop = NDArray[np.uint8]
_Row = tuple[Box, int, NDArray[np.float32], NDArray[np.float32], _Crop, _Crop]


def _one(path: str) -> _Row:
    import face_recognition  # noqa: PLC0415 - heavy, and imported once per worker process

    from ..dlib_resnet import DlibResNetEmbedder  # noqa: PLC0415
    from ..landmarks import five_point_landmarks  # noqa: PLC0415

    image = np.ascontiguousarray(face_recognition.load_image_file(path))
    source = 0
    found = face_recognition.face_locations(image, 0)
    if not found:
        source, found = 1, face_recognition.face_locations(image, 1)
    box = _central(found, image.shape) if found else CENTRAL_BOX
    if not found:
        source = 2
    points = five_point_landmarks(image, [box])[0]
    vector = DlibResNetEmbedder(1).embed([FaceInput(image, box, points)])[0]
    crop = align_face(image, points, CROP_SIZE, box)
    large = align_face(image, points, LARGE_CROP_SIZE, box)
    return box, source, points, vector, crop, large


_T = TypeVar("_T")
_R = TypeVar("_R")


def map_with_progress(fn: Callable[[_T], _R], items: Sequence[_T], workers: int) -> list[_R]:
    """``fn`` over ``items`` in order, in ``workers`` processes (in this one if 1), with a
    progress bar. ``fn`` must be a module-level function (it is pickled)."""
    from tqdm import tqdm  # noqa: PLC0415

    if workers <= 1:
        return [fn(item) for item in tqdm(items, unit="img")]
    # "spawn": forking a process that has already imported TensorFlow can deadlock.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(tqdm(pool.map(fn, items, chunksize=16), total=len(items), unit="img"))


def save_npz(cache_path: Path, **arrays: NDArray[np.generic] | np.generic) -> None:
    """Write ``arrays`` to ``cache_path`` through a temporary file, so a cache file that exists
    is always complete."""
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)  # type: ignore[arg-type]
    tmp.replace(cache_path)


def compute_features(images_dir: Path, cache_path: Path, workers: int = 2) -> LfwFeatures:
    """Compute (or load, if ``cache_path`` exists) the features of every image in ``images_dir``."""
    if cache_path.is_file():
        return load_features(cache_path)
    images = list_images(images_dir)
    paths = [str(p) for _, _, p in images]
    logger.info("computing LFW features for %d images with %d processes", len(paths), workers)
    results = map_with_progress(_one, paths, workers)
    features = LfwFeatures(
        person=np.array([p for p, _, _ in images]),
        number=np.array([n for _, n, _ in images], dtype=np.int32),
        boxes=np.array([r[0] for r in results], dtype=np.int32),
        box_source=np.array([r[1] for r in results], dtype=np.int8),
        landmarks=np.stack([r[2] for r in results]).astype(np.float32),
        dlib=np.stack([r[3] for r in results]).astype(np.float32),
        crops=np.stack([r[4] for r in results]).astype(np.uint8),
        crops_large=np.stack([r[5] for r in results]).astype(np.uint8),
    )
    save_npz(cache_path, version=np.int32(CACHE_VERSION), **features.__dict__)
    return features


def load_features(cache_path: Path) -> LfwFeatures:
    """Load features saved by :func:`compute_features`."""
    with np.load(cache_path) as data:
        if int(data["version"]) != CACHE_VERSION:
            raise ValueError(f"{cache_path} is cache version {int(data['version'])}; delete it")
        return LfwFeatures(
            person=data["person"],
            number=data["number"],
            boxes=data["boxes"],
            box_source=data["box_source"],
            landmarks=data["landmarks"],
            dlib=data["dlib"],
            crops=data["crops"],
            crops_large=data["crops_large"],
        )
