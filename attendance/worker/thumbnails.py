"""Face thumbnails of sightings, and their expiry.

Which faces are kept (:func:`keeps_thumbnail`): every face with ``keep_thumbnails``; else
only the *unsure* ones (``attendance.services.unsure``), the faces the review queue asks a
teacher about, unless ``review_thumbnail_retention_days`` is 0. How long each kind is kept is
decided by the retention purge (``attendance.services.thumbnail_retention``).

Only the face (its box plus a small margin, at most :data:`THUMBNAIL_SIDE` pixels) is kept,
never the frame, as ``<instance>/thumbnails/<YYYY-MM-DD>/<dedupe_key>.jpg`` (UTC date of the
sighting), so the dashboard finds a sighting's thumbnail from its ``dedupe_key`` and
``seen_at``. Folders older than every retention are deleted by :func:`purge`.

With a ``cipher`` (the worker always passes one) the JPEG bytes are encrypted at rest
(AES-GCM, bound to the sighting's ``dedupe_key``, see ``attendance.crypto``); the name keeps
its ``.jpg`` so erasure and retention find the file. Read one with :func:`read_thumbnail`.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models import Box

from ..config import Settings
from ..crypto import FILE_MAGIC, TemplateCipher, thumbnail_aad
from ..errors import TemplateDecryptionError
from ..services.unsure import is_unsure
from ..thumbnail_files import FOLDER, thumbnail_path

logger = logging.getLogger(__name__)

#: Longest side of a stored thumbnail, pixels.
THUMBNAIL_SIDE = 96
#: Margin added around the face box on each side, as a fraction of its size.
MARGIN = 0.15


def keeps_thumbnail(settings: Settings, evidence: Mapping[str, Any],
                    student_id: int | None) -> bool:
    """Whether the worker keeps the thumbnail of a face matched to ``student_id`` (None:
    unknown) with these per-model figures: always with ``keep_thumbnails``, else only for
    an unsure face, which the review queue will show a teacher."""
    if settings.keep_thumbnails:
        return True
    return settings.review_thumbnail_retention_days > 0 and is_unsure(evidence, student_id)


def save_thumbnail(
    instance_path: Path, seen_at: datetime, dedupe_key: str, frame_bgr: NDArray[np.uint8],
    box: Box,
    cipher: TemplateCipher | None = None,
) -> Path | None:
    """Store the face in ``box`` (top, right, bottom, left) of ``frame_bgr`` as a small JPEG,
    encrypted when ``cipher`` is given; returns its path, or None when the box is empty or
    writing failed (logged)."""
    import cv2  # noqa: PLC0415 - heavy import, only when thumbnails are kept

    top, right, bottom, left = box
    pad_y, pad_x = int((bottom - top) * MARGIN), int((right - left) * MARGIN)
    height, width = frame_bgr.shape[:2]
    crop = frame_bgr[max(0, top - pad_y):min(height, bottom + pad_y),
                     max(0, left - pad_x):min(width, right + pad_x)]
    if crop.size == 0:
        return None
    scale = min(1.0, THUMBNAIL_SIDE / max(crop.shape[:2]))
    if scale < 1.0:
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    path = thumbnail_path(instance_path, seen_at, dedupe_key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, encoded = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 80])
        if not ok:
            raise OSError(f"OpenCV could not encode {path}")
        data = encoded.tobytes()
        if cipher is not None:
            data = cipher.encrypt_file_bytes(data, thumbnail_aad(dedupe_key))
        path.write_bytes(data)
    except OSError:
        logger.exception("thumbnail %s not stored", path)
        return None
    return path


def read_thumbnail(path: Path, dedupe_key: str, cipher: TemplateCipher | None) -> bytes:
    """The JPEG bytes of the thumbnail at ``path`` of sighting ``dedupe_key``, decrypted;
    a tampered file or one moved to another sighting raises ``TemplateDecryptionError``."""
    content = path.read_bytes()
    if content.startswith(FILE_MAGIC):
        if cipher is None:
            raise TemplateDecryptionError("the thumbnail is encrypted; give the template key")
        return cipher.decrypt_file_bytes(content, thumbnail_aad(dedupe_key))
    return content


def purge(instance_path: Path, today: date, retention_days: int) -> int:
    """Delete the thumbnail folders of days before ``today - retention_days``; returns how
    many folders were removed."""
    root = instance_path / FOLDER
    if not root.is_dir():
        return 0
    oldest_kept = today - timedelta(days=retention_days)
    removed = 0
    for folder in root.iterdir():
        try:
            day = date.fromisoformat(folder.name)
        except ValueError:
            continue  # not ours
        if folder.is_dir() and day < oldest_kept:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    if removed:
        logger.info("removed %d day(s) of thumbnails older than %s", removed, oldest_kept)
    return removed


__all__ = ["keeps_thumbnail", "purge", "read_thumbnail", "save_thumbnail", "thumbnail_path"]
