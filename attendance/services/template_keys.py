"""Key rotation for encrypted face templates and images (``attendance keys rotate``).

After ``template_key_id`` is changed to a new id, :func:`rotate_templates` re-encrypts with
the new key every embedding row, every kept photo file, every thumbnail and every camera source
with credentials still under another key (or still in plain form, from before encryption: a
camera URL with a password stored before sources were encrypted is encrypted now, and its
row keeps only the redacted URL). Rows change in the caller's transaction;
files are rewritten atomically (temporary name, then rename) as they are reached — a file
names its key in its header, so a rolled-back run leaves every file readable. Running it again
changes nothing more. Afterwards :func:`keys_in_use` tells which old key files may go.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..camera_sources import has_secrets
from ..crypto import (
    FILE_MAGIC,
    TemplateCipher,
    embedding_aad,
    file_key_id,
    photo_aad,
    read_embedding,
    thumbnail_aad,
)
from ..db import Camera, FaceEmbedding, FacePhoto
from ..thumbnail_files import FOLDER as THUMBNAILS
from .cameras import camera_source, seal_source


@dataclass(frozen=True)
class RotationReport:
    """How many items were re-encrypted to ``key_id``."""

    key_id: str
    embeddings: int
    photos: int
    thumbnails: int
    camera_sources: int = 0

    def summary(self) -> str:
        return (f"{self.embeddings} embedding(s), {self.photos} photo file(s), "
                f"{self.thumbnails} thumbnail(s) and {self.camera_sources} camera source(s) "
                f"re-encrypted with key {self.key_id!r}")


def rotate_templates(
    session: Session, cipher: TemplateCipher, instance_path: Path
) -> RotationReport:
    """Re-encrypt everything not yet under ``cipher.key_id``; see the module docstring.
    A row or file that fails authentication raises ``TemplateDecryptionError`` (nothing is
    silently rewritten from a tampered ciphertext)."""
    current = cipher.key_id
    stale = or_(FaceEmbedding.key_id.is_(None), FaceEmbedding.key_id != current)
    embeddings = 0
    for row in session.scalars(select(FaceEmbedding).where(stale).order_by(FaceEmbedding.id)):
        vector = read_embedding(cipher, row.vector, row.key_id, student_id=row.student_id,
                                model_name=row.model_name, model_version=row.model_version,
                                dimension=row.dimension)
        aad = embedding_aad(row.student_id, row.model_name, row.model_version, row.dimension)
        row.vector, row.key_id = cipher.encrypt_vector(vector, aad), current
        embeddings += 1
    photos = 0
    stale_photos = select(FacePhoto).where(
        FacePhoto.file_path.is_not(None),
        or_(FacePhoto.key_id.is_(None), FacePhoto.key_id != current))
    for photo in session.scalars(stale_photos.order_by(FacePhoto.id)):
        assert photo.file_path is not None  # selected above
        path = instance_path / photo.file_path
        if path.is_file():
            _reencrypt_file(path, cipher, photo_aad(photo.student_id, photo.content_hash))
            photos += 1
        photo.key_id = current
    thumbnails = 0
    root = instance_path / THUMBNAILS
    for path in sorted(root.glob("*/*.jpg")) if root.is_dir() else []:
        thumbnails += _reencrypt_file(path, cipher, thumbnail_aad(path.stem))
    cameras = _rotate_camera_sources(session, cipher)
    session.flush()
    return RotationReport(current, embeddings, photos, thumbnails, cameras)


def _rotate_camera_sources(session: Session, cipher: TemplateCipher) -> int:
    """Re-encrypt camera sources under another key, and encrypt plain ones with secrets."""
    changed = 0
    for camera in session.scalars(select(Camera).order_by(Camera.id)):
        if camera.source_key_id == cipher.key_id:
            continue
        if camera.source_key_id is None and not has_secrets(camera.source):
            continue
        seal_source(camera, camera_source(camera, cipher), cipher)
        changed += 1
    return changed


def keys_in_use(session: Session) -> dict[str | None, int]:
    """Embedding rows per key id (None: still in plain form)."""
    rows = session.execute(
        select(FaceEmbedding.key_id, func.count()).group_by(FaceEmbedding.key_id))
    return {key_id: count for key_id, count in rows}


def _reencrypt_file(path: Path, cipher: TemplateCipher, aad: bytes) -> bool:
    """Rewrite ``path`` under the current key; False when it already is."""
    content = path.read_bytes()
    if content.startswith(FILE_MAGIC):
        key_id, blob = file_key_id(content)
        if key_id == cipher.key_id:
            return False
        plain = cipher.decrypt_bytes(blob, key_id, aad)
    else:
        plain = content  # written before encryption existed
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".rekey-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(cipher.encrypt_file_bytes(plain, aad))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return True


__all__ = ["RotationReport", "keys_in_use", "rotate_templates"]
