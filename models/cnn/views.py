"""Teacher views: more (crop, dlib descriptor) pairs per LFW image, computed once and cached.

The student is distilled from dlib's descriptor of each image. Its own augmentation (a random
flip, warp and lighting change of the aligned crop) keeps the unaltered image's descriptor as
the target, although dlib itself would describe the altered face a little differently. The
views below give the student the right target for two changes that matter in a classroom:

* ``mirror``: the image flipped left-right. dlib is not flip-invariant, and the in-house
  embedder averages each face with its mirror image, so it should learn both.
* ``small`` and ``small-mirror``: the image shrunk until the face box is
  :data:`SMALL_FACE_PX` pixels wide and saved as a JPEG, as a classroom camera sees a face a
  few metres away. Landmarks are found again on the shrunk image, as the camera worker does.

Each view's landmarks and descriptor come from the altered image itself, through the same
dlib models as :mod:`models.cnn.features`. About 0.05 s per view and image per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from ..alignment import align_face
from ..protocol import Box, FaceInput
from .architecture import INPUT_SIZE
from .features import LfwFeatures, map_with_progress, save_npz
from .lfw import list_images

logger = logging.getLogger(__name__)

VIEWS = ("mirror", "small", "small-mirror")
#: Range of the face box's width (pixels) in the shrunk views.
SMALL_FACE_PX = (36.0, 72.0)
#: Range of the JPEG quality the shrunk views are saved with.
JPEG_QUALITY = (55, 90)
VIEWS_VERSION = 1


@dataclass(frozen=True)
class TeacherViews:
    """``crops`` (N, V, 64, 64, 3) uint8 and ``dlib`` (N, V, 128) float32: view v of image i,
    rows in the order of :class:`~models.cnn.features.LfwFeatures`, views in :data:`VIEWS`."""

    crops: NDArray[np.uint8]
    dlib: NDArray[np.float32]


def mirror_box(box: Box, width: int) -> Box:
    """The (top, right, bottom, left) box of the same face in the left-right mirrored image."""
    top, right, bottom, left = box
    return (top, width - left, bottom, width - right)


def shrink(
    image: NDArray[np.uint8], box: Box, face_px: float, quality: int
) -> tuple[NDArray[np.uint8], Box]:
    """``image`` scaled so that ``box`` is ``face_px`` wide, round-tripped through a JPEG of
    ``quality``; returns the new image and the scaled box."""
    top, right, bottom, left = box
    scale = min(1.0, face_px / max(right - left, 1))
    h, w = image.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded_bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if decoded_bgr is None:
        raise RuntimeError("JPEG decoding failed")
    decoded = cv2.cvtColor(decoded_bgr, cv2.COLOR_BGR2RGB)
    scaled: Box = (
        round(top * scale),
        round(right * scale),
        round(bottom * scale),
        round(left * scale),
    )
    return np.ascontiguousarray(decoded), scaled


def view_image(
    image: NDArray[np.uint8], box: Box, view: str, rng: np.random.Generator
) -> tuple[NDArray[np.uint8], Box]:
    """The altered image of one view, with the face's box in it."""
    if view.endswith("mirror"):
        image = np.ascontiguousarray(image[:, ::-1])
        box = mirror_box(box, image.shape[1])
    if view.startswith("small"):
        face_px = float(rng.uniform(*SMALL_FACE_PX))
        image, box = shrink(image, box, face_px, int(rng.integers(*JPEG_QUALITY, endpoint=True)))
    return image, box


#: One image's views to compute: (path, face box, row, seed, views).
ViewTask = tuple[str, Box, int, int, tuple[str, ...]]


def embed_views(task: ViewTask) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """The aligned crops (V, 64, 64, 3) and dlib descriptors (V, 128) of one image's views
    (module-level, so that worker processes can run it)."""
    import face_recognition  # noqa: PLC0415 - heavy, and imported once per worker process

    from ..dlib_resnet import DlibResNetEmbedder  # noqa: PLC0415
    from ..landmarks import five_point_landmarks  # noqa: PLC0415

    path, box, row, seed, views = task
    original = np.ascontiguousarray(face_recognition.load_image_file(path))
    rng = np.random.default_rng([seed, row])
    crops, vectors = [], []
    for view in views:
        image, view_box = view_image(original, box, view, rng)
        points = five_point_landmarks(image, [view_box])[0]
        vectors.append(DlibResNetEmbedder(1).embed([FaceInput(image, view_box, points)])[0])
        crops.append(align_face(image, points, INPUT_SIZE, view_box))
    return np.stack(crops), np.stack(vectors).astype(np.float32)


def view_tasks(
    images_dir: Path,
    features: LfwFeatures,
    rows: NDArray[np.int64],
    seed: int,
    views: tuple[str, ...],
) -> list[ViewTask]:
    """The :func:`embed_views` tasks of ``rows`` of ``features`` (their stored face boxes)."""
    paths = {(p, n): str(path) for p, n, path in list_images(images_dir)}
    tasks: list[ViewTask] = []
    for i in rows.tolist():
        b = features.boxes[i]
        box: Box = (int(b[0]), int(b[1]), int(b[2]), int(b[3]))
        tasks.append((paths[(str(features.person[i]), int(features.number[i]))], box, i, seed,
                      views))
    return tasks


def compute_views(
    images_dir: Path,
    features: LfwFeatures,
    cache_path: Path,
    workers: int = 2,
    seed: int = 0,
) -> TeacherViews:
    """Compute (or load, if ``cache_path`` exists) every image's :data:`VIEWS`, using the face
    boxes already in ``features``."""
    if cache_path.is_file():
        return load_views(cache_path, len(features.person))
    tasks = view_tasks(images_dir, features, np.arange(len(features.person)), seed, VIEWS)
    logger.info("computing %d teacher views of %d images", len(VIEWS), len(tasks))
    results = map_with_progress(embed_views, tasks, workers)
    views = TeacherViews(
        crops=np.stack([r[0] for r in results]).astype(np.uint8),
        dlib=np.stack([r[1] for r in results]).astype(np.float32),
    )
    save_npz(cache_path, version=np.int32(VIEWS_VERSION), crops=views.crops, dlib=views.dlib)
    return views


def load_views(cache_path: Path, images: int) -> TeacherViews:
    """Load views saved by :func:`compute_views`; ValueError if stale or of another image set."""
    with np.load(cache_path) as data:
        if int(data["version"]) != VIEWS_VERSION:
            raise ValueError(f"{cache_path} is views version {int(data['version'])}; delete it")
        views = TeacherViews(crops=data["crops"], dlib=data["dlib"])
    if views.crops.shape[:2] != (images, len(VIEWS)):
        raise ValueError(
            f"{cache_path} holds {views.crops.shape[:2]} views, not {(images, len(VIEWS))}; "
            "delete it"
        )
    return views
