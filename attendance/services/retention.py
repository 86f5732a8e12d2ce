"""The retention schedule, enforced: :func:`purge_expired` deletes whatever is older than the
settings allow. It is idempotent (a second run at the same ``now`` deletes nothing more) and
run daily by the worker's ``retention-purge`` job and by ``attendance purge``.

| data | kept for | setting |
|---|---|---|
| thumbnails of unknown faces | ``unknown_thumbnail_retention_days`` (1) | |
| thumbnails of sightings | ``thumbnail_retention_days`` (30) | ``keep_thumbnails`` |
| enrollment photo files | until erasure, or none | ``keep_photos`` |
| sightings | ``sighting_retention_days`` (365) | |
| audit log | ``audit_retention_days`` (365, at least 180) | |
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import FacePhoto, Sighting
from ..db.audit_guard import purge_audit_log
from ..thumbnail_files import FOLDER as THUMBNAILS
from .audit import record_audit
from .files import delete_after_commit, remove_file

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """How many items of each kind one purge deleted."""

    sightings: int = 0
    thumbnails: int = 0
    unknown_thumbnails: int = 0
    photo_files: int = 0
    audit_entries: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def summary(self) -> str:
        return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in
                         asdict(self).items())


def purge_expired(session: Session, settings: Settings, now: datetime) -> PurgeReport:
    """Delete what the retention schedule says has expired at ``now`` (UTC, aware).

    Rows go in the caller's transaction; expired thumbnails are removed at once (nothing in
    the database refers to them), kept photo files after the commit that clears their path.
    When anything was deleted, one ``retention.purge`` audit entry lists the counts.
    """
    sighting_cutoff = now - timedelta(days=settings.sighting_retention_days)
    expired = select(Sighting.id).where(Sighting.seen_at < sighting_cutoff)
    sightings = int(session.scalar(select(func.count()).select_from(expired.subquery())) or 0)
    if sightings:
        session.execute(delete(Sighting).where(Sighting.seen_at < sighting_cutoff))
    thumbnails = _purge_thumbnail_days(settings.instance_path / THUMBNAILS, now.date(),
                                       settings.thumbnail_retention_days)
    unknown = _purge_unknown_thumbnails(session, settings.instance_path / THUMBNAILS, now.date(),
                                        settings.unknown_thumbnail_retention_days)
    photo_files = 0 if settings.keep_photos else _drop_photo_files(session, settings)
    audit_entries = purge_audit_log(session, now - timedelta(days=settings.audit_retention_days))
    report = PurgeReport(sightings, thumbnails, unknown, photo_files, audit_entries)
    if report.total:
        record_audit(session, actor="retention", action="retention.purge",
                     details={"now": now.isoformat(), **asdict(report)})
        logger.info("retention purge: %s", report.summary())
    session.flush()
    return report


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


def _purge_thumbnail_days(root: Path, today: date, days: int) -> int:
    removed = 0
    for folder in _day_folders(root, today - timedelta(days=days)):
        removed += sum(1 for p in folder.iterdir() if p.is_file())
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _purge_unknown_thumbnails(session: Session, root: Path, today: date, days: int) -> int:
    """Remove thumbnails, older than ``days``, of sightings that matched nobody (or whose
    sighting is gone): only a recognised student's thumbnail is kept longer."""
    removed = 0
    for folder in _day_folders(root, today - timedelta(days=days)):
        files = {p.stem: p for p in folder.glob("*.jpg") if p.is_file()}
        if not files:
            continue
        known = set(session.scalars(select(Sighting.dedupe_key).where(
            Sighting.dedupe_key.in_(list(files)), Sighting.student_id.is_not(None))))
        for key, path in files.items():
            if key not in known and remove_file(path):
                removed += 1
    return removed


def _drop_photo_files(session: Session, settings: Settings) -> int:
    """With ``keep_photos`` off, forget and delete photo files kept from earlier enrollments."""
    root = settings.instance_path.resolve()
    rows = session.execute(select(FacePhoto.id, FacePhoto.file_path).where(
        FacePhoto.file_path.is_not(None))).all()
    if not rows:
        return 0
    session.execute(update(FacePhoto).where(FacePhoto.id.in_([r.id for r in rows]))
                    .values(file_path=None))
    paths = [(root / r.file_path).resolve() for r in rows]
    delete_after_commit(session, [p for p in paths if p.is_relative_to(root)])
    return len(rows)


__all__ = ["PurgeReport", "purge_expired"]
