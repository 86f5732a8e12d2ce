"""Where sighting thumbnails live under the instance folder: shared by the worker that writes
them, and by the erasure and retention services that delete them.

Layout: ``<instance>/thumbnails/<YYYY-MM-DD>/<dedupe_key>.jpg`` (UTC date of the sighting), so
a sighting's thumbnail is found from its ``dedupe_key`` and ``seen_at`` alone.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

FOLDER = "thumbnails"


def thumbnail_path(instance_path: Path, seen_at: datetime, dedupe_key: str) -> Path:
    """Where the thumbnail of the sighting ``dedupe_key`` seen at ``seen_at`` is kept."""
    return instance_path / FOLDER / seen_at.date().isoformat() / f"{dedupe_key}.jpg"


def existing_thumbnail(
    instance_path: Path, seen_at: datetime, dedupe_key: str | None
) -> Path | None:
    """The kept thumbnail file of the sighting, or None when there is none (no ``dedupe_key``,
    thumbnails off, expired, or never written)."""
    if not dedupe_key:
        return None
    path = thumbnail_path(instance_path, seen_at, dedupe_key)
    return path if path.is_file() else None


__all__ = ["FOLDER", "existing_thumbnail", "thumbnail_path"]
