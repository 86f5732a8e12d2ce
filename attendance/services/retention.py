"""The retention schedule, enforced: :func:`purge_expired` deletes whatever is older than the
settings allow. It is idempotent (a second run at the same ``now`` deletes nothing more) and
run daily by the worker's ``retention-purge`` job and by ``attendance purge``.

| data | kept for | setting |
|---|---|---|
| thumbnails of unknown faces | ``unknown_thumbnail_retention_days`` (1) | |
| thumbnails of unsure faces (review) | ``review_thumbnail_retention_days`` (14) | |
| thumbnails of sightings | ``thumbnail_retention_days`` (30) | ``keep_thumbnails`` |
| enrollment photo files | until erasure, or none | ``keep_photos`` |
| sightings | ``sighting_retention_days`` (365) | |
| audit log | ``audit_retention_days`` (365, at least 180) | |
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..config import Settings
from ..db import FacePhoto, Sighting
from ..db.audit_guard import purge_audit_log
from .audit import record_audit
from .files import delete_after_commit
from .thumbnail_retention import purge_thumbnails

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PurgeReport:
    """How many items of each kind one purge deleted."""

    sightings: int = 0
    thumbnails: int = 0
    unknown_thumbnails: int = 0
    review_thumbnails: int = 0
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
    the database refers to them; each kind of face by its own retention, see
    :mod:`.thumbnail_retention`), kept photo files after the commit that clears their path.
    When anything was deleted, one ``retention.purge`` audit entry lists the counts.
    """
    sighting_cutoff = now - timedelta(days=settings.sighting_retention_days)
    expired = select(Sighting.id).where(Sighting.seen_at < sighting_cutoff)
    sightings = int(session.scalar(select(func.count()).select_from(expired.subquery())) or 0)
    if sightings:
        session.execute(delete(Sighting).where(Sighting.seen_at < sighting_cutoff))
    thumbnails = purge_thumbnails(session, settings, now.date())
    photo_files = 0 if settings.keep_photos else _drop_photo_files(session, settings)
    audit_entries = purge_audit_log(session, now - timedelta(days=settings.audit_retention_days))
    report = PurgeReport(sightings, thumbnails.expired, thumbnails.unknown, thumbnails.review,
                         photo_files, audit_entries)
    if report.total:
        record_audit(session, actor="retention", action="retention.purge",
                     details={"now": now.isoformat(), **asdict(report)})
        logger.info("retention purge: %s", report.summary())
    session.flush()
    return report


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
