"""Teacher morphs: blends of two aligned LFW faces, each with dlib's descriptor of the blend.

Distilled on LFW's images alone, the student meets only the few thousand people of its
training split, and it reproduces dlib's descriptor far better for them than for people it has
never seen (the training loss ends well below the validation loss). A blend of two aligned
faces is a face of nobody in particular: dlib describes it somewhere between the two, not
necessarily halfway, and the student learns to follow the teacher there too. This "function
matching" on mixed inputs is how distillation is usually stretched over a small data set.

Each morph mixes two images of one training split (both people outside the held-out folds of
that split, so a cross-fold model never sees a held-out face, even blended) with a weight
``alpha`` drawn from :data:`ALPHA`:

* dlib's input: the two images' own 150x150 chips (``dlib.get_face_chip``, dlib's alignment
  from the cached five landmarks), blended, then described by the ResNet.
* the student's input: the two cached aligned crops, blended with the same weight. Both
  alignments put the five landmarks at fixed places, so the two blends show the same mix.

Computed once, cached as an .npz outside the repository (about 0.1 s per morph per
process with the ``dlib-bin`` wheel, which is built without BLAS: 43 minutes for 48,000 morphs
on 2 cores). dlib built from source against OpenBLAS computes the same descriptors (within
3e-7) several times faster: 96,000 morphs took 31 minutes on 2 cores. Run it with
``OPENBLAS_NUM_THREADS=1``, one thread per worker; the model card's "A third set of teacher
morphs" says how it was built and what it measured.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .features import LfwFeatures, map_with_progress, save_npz
from .lfw import list_images, people_in_folds, read_pairs

logger = logging.getLogger(__name__)

#: Range of the blend weight of the first image.
ALPHA = (0.25, 0.75)
#: Morphs made within each split's training people (folds 1-5 held out, then 6-10).
MORPHS_PER_SPLIT = 24_000
#: The held-out folds of the splits whose people are blended (the cross-fold models A and B).
SPLITS: tuple[tuple[int, ...], ...] = ((1, 2, 3, 4, 5), (6, 7, 8, 9, 10))
#: Side of dlib's aligned chip and its padding (as ``face_recognition`` uses them).
CHIP_SIZE, CHIP_PADDING = 150, 0.25
MORPHS_VERSION = 2
#: Look-alikes per image among which :func:`sample_near_sources` picks the second image.
NEAR_K = 20


@dataclass(frozen=True)
class MorphSet:
    """How a cache of teacher morphs is drawn: its file name in the cache directory, morphs
    per split, the share whose two people look alike (:func:`sample_near_sources`), and the
    random seed."""

    file_name: str
    per_split: int
    look_alike_share: float
    seed: int


#: The morph sets ``attendance model train --teacher-morphs --morph-set SET`` knows:
#: ``uniform`` (two training images drawn at random, as the shipped weights were trained),
#: ``look-alike`` (new morphs, half of them blends of two people dlib places close together),
#: ``uniform-2`` (48,000 new morphs drawn as ``uniform`` with another seed: the last stage of
#: the shipped weights was trained on them), ``uniform-3`` (96,000 more, 48,000 per split,
#: with a third seed; tried, not shipped: see the model card) and ``uniform-4`` (48,000 more,
#: 24,000 per split, with a fourth seed).
MORPH_SETS: dict[str, MorphSet] = {
    "uniform": MorphSet("lfw_morphs_v2.npz", MORPHS_PER_SPLIT, 0.0, 0),
    "look-alike": MorphSet("lfw_morphs_lookalike_v1.npz", 12_000, 0.5, 1),
    "uniform-2": MorphSet("lfw_morphs_uniform_s2.npz", MORPHS_PER_SPLIT, 0.0, 2),
    "uniform-3": MorphSet("lfw_morphs_uniform_s3.npz", 2 * MORPHS_PER_SPLIT, 0.0, 3),
    "uniform-4": MorphSet("lfw_morphs_uniform_s4.npz", MORPHS_PER_SPLIT, 0.0, 4),
}


@dataclass(frozen=True)
class TeacherMorphs:
    """``sources`` (M, 2) int64 rows of :class:`~models.cnn.features.LfwFeatures` blended,
    ``alpha`` (M,) float32 weight of the first, ``dlib`` (M, 128) float32 dlib's descriptor of
    the blend."""

    sources: NDArray[np.int64]
    alpha: NDArray[np.float32]
    dlib: NDArray[np.float32]

    def usable(self, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """Indices of the morphs both of whose images are among ``rows``."""
        allowed = np.zeros(int(max(self.sources.max(initial=0), rows.max(initial=0))) + 1, bool)
        allowed[rows] = True
        return np.flatnonzero(allowed[self.sources[:, 0]] & allowed[self.sources[:, 1]])

    def crops(self, crops: NDArray[np.uint8], index: NDArray[np.int64]) -> NDArray[np.uint8]:
        """The student's inputs of morphs ``index``: the two aligned ``crops`` blended."""
        a = self.alpha[index][:, None, None, None]
        first = crops[self.sources[index, 0]].astype(np.float32)
        second = crops[self.sources[index, 1]].astype(np.float32)
        mixed: NDArray[np.uint8] = np.rint(a * first + (1.0 - a) * second).astype(np.uint8)
        return mixed


def sample_sources(
    rows: NDArray[np.int64], count: int, rng: np.random.Generator
) -> NDArray[np.int64]:
    """``count`` pairs of two different rows out of ``rows``, drawn uniformly."""
    if len(rows) < 2:
        raise ValueError("blending needs at least two images")
    first = rng.integers(0, len(rows), count)
    offset = rng.integers(1, len(rows), count)  # never 0: the second image is another one
    return np.stack([rows[first], rows[(first + offset) % len(rows)]], axis=1).astype(np.int64)


def _others(names: NDArray[np.str_]) -> int:
    """How many images of other people every one of ``names``' images has at least."""
    _, counts = np.unique(names, return_counts=True)
    return int(len(names) - counts.max(initial=0))


def nearest_others(
    rows: NDArray[np.int64],
    descriptors: NDArray[np.float32],
    person: NDArray[np.str_],
    k: int,
    chunk: int = 2048,
) -> NDArray[np.int64]:
    """(len(rows), k) rows: for each of ``rows``, the ``k`` images among ``rows`` nearest to it
    in dlib's space that show another person (nearest first)."""
    names = np.asarray(person)[rows]
    if _others(names) < k:
        raise ValueError(f"{len(rows)} images are too few for {k} neighbours of other people")
    vectors = descriptors[rows].astype(np.float32)
    squared = np.sum(vectors**2, axis=1)
    out = np.empty((len(rows), k), dtype=np.int64)
    for start in range(0, len(rows), chunk):
        block = slice(start, start + chunk)
        d2 = squared[block, None] + squared[None, :] - 2.0 * vectors[block] @ vectors.T
        d2[names[block, None] == names[None, :]] = np.inf  # the same person (and itself)
        near = np.argpartition(d2, k, axis=1)[:, :k]
        order = np.take_along_axis(d2, near, axis=1).argsort(axis=1)
        out[block] = rows[np.take_along_axis(near, order, axis=1)]
    return out


def sample_near_sources(
    rows: NDArray[np.int64],
    count: int,
    descriptors: NDArray[np.float32],
    person: NDArray[np.str_],
    rng: np.random.Generator,
    k: int = NEAR_K,
) -> NDArray[np.int64]:
    """``count`` pairs of two people who look alike to dlib: the first image drawn uniformly
    out of ``rows``, the second among its ``k`` nearest images of other people. Blends of
    look-alikes fill the part of face space where telling people apart is hardest, which is
    what a low false-accept rate rests on."""
    k = min(k, _others(np.asarray(person)[rows]))  # a handful of images (tests): fewer
    neighbours = nearest_others(rows, descriptors, person, k)
    first = rng.integers(0, len(rows), count)
    second = neighbours[first, rng.integers(0, k, count)]
    return np.stack([rows[first], second], axis=1).astype(np.int64)


def blend_chips(
    first: NDArray[np.uint8], second: NDArray[np.uint8], alpha: float
) -> NDArray[np.uint8]:
    """``alpha`` of ``first`` and the rest of ``second``, rounded to uint8 (C-contiguous)."""
    mixed = alpha * first.astype(np.float32) + (1.0 - alpha) * second.astype(np.float32)
    return np.ascontiguousarray(np.rint(mixed).astype(np.uint8))


_Task = tuple[str, NDArray[np.float32], str, NDArray[np.float32], float]


def _chip(path: str, points: NDArray[np.float32]) -> NDArray[np.uint8]:
    import dlib  # noqa: PLC0415 - heavy, and imported once per worker process
    import face_recognition  # noqa: PLC0415

    image = np.ascontiguousarray(face_recognition.load_image_file(path))
    parts = [dlib.point(round(float(x)), round(float(y))) for x, y in points]
    xs, ys = points[:, 0], points[:, 1]
    rect = dlib.rectangle(int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    shape = dlib.full_object_detection(rect, parts)
    return np.asarray(dlib.get_face_chip(image, shape, CHIP_SIZE, CHIP_PADDING), dtype=np.uint8)


def _describe(chips: list[NDArray[np.uint8]]) -> NDArray[np.float32]:
    from ..dlib_models import dlib_models  # noqa: PLC0415

    return dlib_models().encode_chips(chips)


def _one(task: _Task) -> NDArray[np.float32]:
    path_a, points_a, path_b, points_b, alpha = task
    blend = blend_chips(_chip(path_a, points_a), _chip(path_b, points_b), alpha)
    vector: NDArray[np.float32] = _describe([blend])[0]
    return vector


def make_tasks(
    images_dir: Path,
    features: LfwFeatures,
    sources: NDArray[np.int64],
    alpha: Sequence[float] | NDArray[np.float32],
) -> list[_Task]:
    """One worker task per morph: both images' paths and landmarks, and the weight."""
    paths = {(p, n): str(path) for p, n, path in list_images(images_dir)}
    path_of = [paths[(str(p), int(n))] for p, n in zip(features.person, features.number,
                                                       strict=True)]
    return [
        (path_of[a], features.landmarks[a], path_of[b], features.landmarks[b], float(w))
        for (a, b), w in zip(sources.tolist(), alpha, strict=True)
    ]


def compute_morphs(
    images_dir: Path,
    features: LfwFeatures,
    pairs_path: Path,
    cache_path: Path,
    workers: int = 2,
    recipe: MorphSet = MORPH_SETS["uniform"],
) -> TeacherMorphs:
    """Compute (or load, if ``cache_path`` exists) ``recipe.per_split`` morphs within the
    training people of each of :data:`SPLITS`."""
    if cache_path.is_file():
        return load_morphs(cache_path, len(features.person))
    pairs = read_pairs(pairs_path)
    rng = np.random.default_rng(recipe.seed)
    sources = []
    look_alike = int(round(recipe.per_split * recipe.look_alike_share))
    for held_out in SPLITS:
        excluded = people_in_folds(pairs, {f - 1 for f in held_out})
        rows = np.flatnonzero([str(p) not in excluded for p in features.person]).astype(np.int64)
        sources.append(sample_sources(rows, recipe.per_split - look_alike, rng))
        if look_alike:
            sources.append(
                sample_near_sources(rows, look_alike, features.dlib, features.person, rng)
            )
    pairs_of = np.concatenate(sources)
    alpha = rng.uniform(*ALPHA, len(pairs_of)).astype(np.float32)
    logger.info("computing %d teacher morphs", len(pairs_of))
    vectors = map_with_progress(_one, make_tasks(images_dir, features, pairs_of, alpha), workers)
    morphs = TeacherMorphs(
        sources=pairs_of, alpha=alpha, dlib=np.stack(vectors).astype(np.float32)
    )
    save_npz(
        cache_path,
        version=np.int32(MORPHS_VERSION),
        images=np.int64(len(features.person)),
        sources=morphs.sources,
        alpha=morphs.alpha,
        dlib=morphs.dlib,
    )
    return morphs


def load_morphs(cache_path: Path, images: int) -> TeacherMorphs:
    """Load morphs saved by :func:`compute_morphs`; ValueError if stale or of another image set."""
    with np.load(cache_path) as data:
        if not {"version", "images", "sources", "alpha", "dlib"} <= set(data.files):
            raise ValueError(f"{cache_path} is not a teacher-morphs cache; delete it")
        if int(data["version"]) != MORPHS_VERSION:
            raise ValueError(f"{cache_path} is morphs version {int(data['version'])}; delete it")
        if int(data["images"]) != images:
            raise ValueError(
                f"{cache_path} was made for {int(data['images'])} images, not {images}; delete it"
            )
        return TeacherMorphs(sources=data["sources"], alpha=data["alpha"], dlib=data["dlib"])
