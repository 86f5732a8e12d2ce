"""Who takes part in the classroom benchmark: LFW people, located and split by pairs.txt.

Only people the in-house model measured never saw in training may appear: the cross-fold
model A was trained without the people of folds 1-5 of ``pairs.txt``, so the benchmark draws
students (people with at least :data:`MIN_STUDENT_PHOTOS` images) and walk-ins (everyone
else of those folds) from folds 1-5.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from models import ModelError
from models.cnn.lfw import ensure_unpacked, people_in_folds, read_pairs

#: A student needs enrollment photos (1-3) and other photos to walk into frames with.
MIN_STUDENT_PHOTOS = 4
#: 0-based folds whose people model A never saw (pairs.txt folds 1-5).
UNSEEN_BY_A = frozenset(range(5))


class LfwMissingError(Exception):
    """LFW (images or pairs.txt) is not where the command was told to look."""


@dataclass(frozen=True)
class Person:
    """One LFW person: name and image files, sorted by image number."""

    name: str
    photos: tuple[Path, ...]


@dataclass(frozen=True)
class Cohort:
    """People eligible as students (>= 4 photos) and as walk-ins (the rest), by name."""

    students: tuple[Person, ...]
    walk_ins: tuple[Person, ...]


def images_dir(lfw_dir: Path, cache_dir: Path) -> Path:
    """The folder of ``<Name>/<Name>_NNNN.jpg``: ``lfw_dir`` itself, its
    ``lfw-deepfunneled/``, or the archive ``lfw-deepfunneled.tgz`` unpacked into
    ``cache_dir`` (once)."""
    if not lfw_dir.is_dir():
        raise LfwMissingError(
            f"LFW not found at {lfw_dir}: pass --lfw-dir (or set ATTENDANCE_LFW_DIR) to the "
            "folder holding lfw-deepfunneled.tgz and pairs.txt, or lfw-deepfunneled/ itself"
        )
    if any(lfw_dir.glob("*/*_0001.jpg")):
        return lfw_dir
    try:
        return ensure_unpacked(lfw_dir, cache_dir)
    except ModelError as exc:
        raise LfwMissingError(str(exc)) from exc


def pairs_file(folders: Sequence[Path], explicit: Path | None = None) -> Path:
    """``explicit``, else ``pairs.txt`` in the first of ``folders`` (or its parent) holding
    one."""
    candidates = [explicit] if explicit else [
        c for f in folders for c in (f / "pairs.txt", f.parent / "pairs.txt")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise LfwMissingError(
        f"pairs.txt not found (looked at {', '.join(str(c) for c in candidates)}); "
        "pass --pairs /path/to/pairs.txt"
    )


def fold_cohort(images: Path, pairs: Path, folds: Collection[int] = UNSEEN_BY_A) -> Cohort:
    """Everyone of the 0-based ``folds`` of ``pairs`` found under ``images``."""
    names = sorted(people_in_folds(read_pairs(pairs), set(folds)))
    return cohort_of(images, names)


def cohort_of(images: Path, names: Collection[str]) -> Cohort:
    """The people ``names`` found under ``images``, split by how many photos they have."""
    people = []
    for name in sorted(names):
        photos = tuple(sorted((images / name).glob(f"{name}_*.jpg")))
        if photos:
            people.append(Person(name, photos))
    if not people:
        raise LfwMissingError(f"none of the {len(names)} people wanted has photos under {images}")
    return Cohort(
        tuple(p for p in people if len(p.photos) >= MIN_STUDENT_PHOTOS),
        tuple(p for p in people if len(p.photos) < MIN_STUDENT_PHOTOS),
    )


__all__ = [
    "MIN_STUDENT_PHOTOS",
    "UNSEEN_BY_A",
    "Cohort",
    "LfwMissingError",
    "Person",
    "cohort_of",
    "fold_cohort",
    "images_dir",
    "pairs_file",
]
