"""Labeled Faces in the Wild: image files and the View 2 ``pairs.txt`` protocol.

Paths are always arguments; nothing here reads the environment. A missing file or directory
raises :class:`~models.errors.DatasetNotFoundError` naming what is missing and where.
"""

from __future__ import annotations

import logging
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetNotFoundError

logger = logging.getLogger(__name__)

IMAGES_DIRNAME = "lfw-deepfunneled"
ARCHIVE_NAME = "lfw-deepfunneled.tgz"
PAIRS_NAME = "pairs.txt"


@dataclass(frozen=True)
class Pair:
    """One verification pair: images ``(name_a, number_a)`` and ``(name_b, number_b)``.

    Image numbers are 1-based as in ``pairs.txt``; ``fold`` is 0-based (0..9).
    """

    fold: int
    name_a: str
    number_a: int
    name_b: str
    number_b: int

    @property
    def same(self) -> bool:
        """True when both images show the same person."""
        return self.name_a == self.name_b


def image_path(images_dir: Path, name: str, number: int) -> Path:
    """Path of image ``number`` (1-based) of person ``name`` inside the unpacked images dir."""
    return images_dir / name / f"{name}_{number:04d}.jpg"


def read_pairs(pairs_path: Path) -> list[Pair]:
    """Parse ``pairs.txt`` (first line ``folds<TAB>n``; then per fold n matched, n mismatched)."""
    if not pairs_path.is_file():
        raise DatasetNotFoundError(
            f"LFW pairs file not found: {pairs_path}. Point the command at the directory that "
            f"holds {PAIRS_NAME} (e.g. ../shared/datasets/lfw)."
        )
    lines = [ln.split() for ln in pairs_path.read_text().splitlines() if ln.strip()]
    folds, per_fold = int(lines[0][0]), int(lines[0][1])
    body = lines[1:]
    if len(body) != folds * 2 * per_fold:
        raise ValueError(f"{pairs_path}: expected {folds * 2 * per_fold} pairs, got {len(body)}")
    pairs: list[Pair] = []
    for i, fields in enumerate(body):
        fold = i // (2 * per_fold)
        if len(fields) == 3:
            pairs.append(Pair(fold, fields[0], int(fields[1]), fields[0], int(fields[2])))
        elif len(fields) == 4:
            pairs.append(Pair(fold, fields[0], int(fields[1]), fields[2], int(fields[3])))
        else:
            raise ValueError(f"{pairs_path}: line {i + 2} is not a pair: {' '.join(fields)}")
    return pairs


def people_in_folds(pairs: list[Pair], folds: set[int]) -> set[str]:
    """Names of everyone appearing in any pair of the given 0-based folds."""
    return {n for p in pairs if p.fold in folds for n in (p.name_a, p.name_b)}


def list_images(images_dir: Path) -> list[tuple[str, int, Path]]:
    """Every image as (person, 1-based number, path), sorted by person then number."""
    if not images_dir.is_dir():
        raise DatasetNotFoundError(
            f"LFW images directory not found: {images_dir}. Unpack {ARCHIVE_NAME} "
            f"(tar xzf {ARCHIVE_NAME} -C <cache dir>) and pass <cache dir>/{IMAGES_DIRNAME}."
        )
    found: list[tuple[str, int, Path]] = []
    for path in sorted(images_dir.glob("*/*.jpg")):
        person = path.parent.name
        found.append((person, int(path.stem.rsplit("_", 1)[1]), path))
    if not found:
        raise DatasetNotFoundError(f"no <Person>/<Person>_NNNN.jpg images under {images_dir}")
    return found


def ensure_unpacked(dataset_dir: Path, cache_dir: Path) -> Path:
    """Return the unpacked images directory, unpacking ``dataset_dir``'s archive into
    ``cache_dir`` if needed. ``dataset_dir`` holds either ``lfw-deepfunneled/`` or the .tgz.

    The archive is unpacked into a temporary directory beside the cache's and renamed into
    place when complete, so an interrupted run, or two commands unpacking at once, never
    leave a half-filled image tree that later runs would take for the whole dataset.
    """
    for candidate in (dataset_dir / IMAGES_DIRNAME, cache_dir / IMAGES_DIRNAME):
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    archive = dataset_dir / ARCHIVE_NAME
    if not archive.is_file():
        raise DatasetNotFoundError(
            f"neither {dataset_dir / IMAGES_DIRNAME} nor {archive} exists; download LFW "
            f"deep-funneled into {dataset_dir}."
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / IMAGES_DIRNAME
    logger.info("unpacking %s into %s", archive, cache_dir)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{IMAGES_DIRNAME}-") as staging:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")
        unpacked = Path(staging) / IMAGES_DIRNAME
        if not unpacked.is_dir():
            raise DatasetNotFoundError(f"{archive} holds no {IMAGES_DIRNAME}/ directory")
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()  # an empty leftover
        try:
            unpacked.rename(target)
        except OSError:
            if not target.is_dir():  # else another run finished first: keep its tree
                raise
    return target
