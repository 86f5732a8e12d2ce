"""How long each kept face thumbnail may stay, and the purge of those past it.

A thumbnail's kind is read from its sighting (found by the file's ``dedupe_key`` name):

* ``unknown`` — the sighting matched nobody and is not unsure, or a teacher said "not X"
  about it, or the sighting is gone: ``unknown_thumbnail_retention_days`` (1);
* ``review`` — unsure and no "not X" (the review queue shows the face):
  ``review_thumbnail_retention_days`` (14); also a face that counts for a student but was
  kept only because it was unsure (``keep_thumbnails`` off);
* ``recognised`` — counts for a student: ``thumbnail_retention_days`` (30).

Day folders (``<instance>/thumbnails/<YYYY-MM-DD>/``) past the longest of the three go
whole; within younger folders each file is judged by its kind.
"""

from __future__ import annotations

import enum
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import ReviewDecision, Sighting, Verdict
from ..thumbnail_files import FOLDER
from .files import remove_file
from .unsure import is_unsure


class ThumbnailKind(enum.StrEnum):
    """Why a thumbnail is kept, which decides for how long."""

    UNKNOWN = "unknown"
    REVIEW = "review"
    RECOGNISED = "recognised"


def thumbnail_kind(settings: Settings, sighting: Sighting | None, rejected: bool) -> (
    ThumbnailKind
):
    """The kind of the thumbnail of ``sighting`` (None: the sighting is gone); ``rejected``:
    a teacher said "not X" about it."""
    if sighting is None:
        return ThumbnailKind.UNKNOWN
    unsure = is_unsure(sighting.evidence, sighting.student_id)
    if sighting.student_id is not None:
        if unsure and not settings.keep_thumbnails and not rejected:
            return ThumbnailKind.REVIEW  # kept only so the teacher could see it
        return ThumbnailKind.RECOGNISED
    if unsure and not rejected:
        return ThumbnailKind.REVIEW
    return ThumbnailKind.UNKNOWN


def retention_days(settings: Settings, kind: ThumbnailKind) -> int:
    """Days a thumbnail of ``kind`` is kept."""
    return {
        ThumbnailKind.UNKNOWN: settings.unknown_thumbnail_retention_days,
        ThumbnailKind.REVIEW: settings.review_thumbnail_retention_days,
        ThumbnailKind.RECOGNISED: settings.thumbnail_retention_days,
    }[kind]


@dataclass(frozen=True)
class ThumbnailPurge:
    """Thumbnails deleted by one purge: ``expired`` (day folders past every retention and
    recognised faces past theirs), ``unknown`` and ``review`` faces past theirs."""

    expired: int = 0
    unknown: int = 0
    review: int = 0


def purge_thumbnails(session: Session, settings: Settings, today: date) -> ThumbnailPurge:
    """Delete the thumbnails past their retention at UTC date ``today`` (idempotent)."""
    root = settings.instance_path / FOLDER
    longest = settings.longest_thumbnail_retention_days
    expired = 0
    for folder in _day_folders(root, today - timedelta(days=longest)):
        expired += sum(1 for p in folder.iterdir() if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
    shortest = min(settings.unknown_thumbnail_retention_days,
                   settings.review_thumbnail_retention_days, settings.thumbnail_retention_days)
    counts = {kind: 0 for kind in ThumbnailKind}
    for folder in _day_folders(root, today - timedelta(days=shortest)):
        age = (today - date.fromisoformat(folder.name)).days
        files = {p.stem: p for p in folder.glob("*.jpg") if p.is_file()}
        for key, kind in _kinds(session, settings, list(files)).items():
            if age > retention_days(settings, kind) and remove_file(files[key]):
                counts[kind] += 1
    return ThumbnailPurge(expired + counts[ThumbnailKind.RECOGNISED],
                          counts[ThumbnailKind.UNKNOWN], counts[ThumbnailKind.REVIEW])


def _kinds(session: Session, settings: Settings, keys: list[str]) -> dict[str, ThumbnailKind]:
    if not keys:
        return {}
    sightings = {s.dedupe_key: s for s in session.scalars(
        select(Sighting).where(Sighting.dedupe_key.in_(keys)))}
    rejected = set(session.scalars(
        select(Sighting.dedupe_key).join(ReviewDecision, ReviewDecision.sighting_id == Sighting.id)
        .where(Sighting.dedupe_key.in_(keys),
               ReviewDecision.decision == Verdict.REJECTED.value)))
    return {key: thumbnail_kind(settings, sightings.get(key), key in rejected) for key in keys}


def _day_folders(root: Path, before: date) -> list[Path]:
    """Day folders (``YYYY-MM-DD``) of ``root`` for days before ``before``."""
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue  # not ours
        if folder.is_dir() and day < before:
            found.append(folder)
    return sorted(found)


__all__ = ["ThumbnailKind", "ThumbnailPurge", "purge_thumbnails", "retention_days",
           "thumbnail_kind"]
