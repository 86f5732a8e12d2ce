"""Embeddings that kept photos lack: a model enabled after the photos were enrolled.

Every photo is embedded by every configured model at enrollment. When a model is enabled
later (the in-house CNN became a default), or its weights change version, the photos already
enrolled lack its embedding, and the camera cannot use that model for those students (the
``fused`` rule then judges them by the other model alone). :func:`backfill_embeddings`
computes what is missing from each kept photo file, exactly as enrollment would (decode,
the one face and its quality checks, every missing model), and stores it.

Idempotent: a photo that already has an embedding of a model's current version is left
alone, so running it again adds nothing. Photos whose file is not kept (``keep_photos``
off, or the file gone) are skipped and counted; a photo that cannot be read or no longer
passes the checks is counted as failed with the reason, and the run goes on. Each photo's
new rows are written in a transaction of their own, after the embedding work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher, photo_aad
from attendance.db import FaceEmbedding, FacePhoto, Student
from attendance.detection import face_inputs
from attendance.errors import TemplateDecryptionError
from models import Embedder

from .decoding import decode_image
from .errors import PhotoRejected
from .quality import assess_photo
from .service import embedding_row
from .storage import read_photo

logger = logging.getLogger(__name__)

#: Called after each photo with (photos done, photos to do).
Progress = Callable[[int, int], None]


@dataclass
class BackfillSummary:
    """What a back-fill did: per model the embeddings added, and the photos it could not
    use (``missing_file``: no kept file; ``failed``: "<student number> photo <id>: why")."""

    photos: int = 0
    complete: int = 0
    added: dict[str, int] = field(default_factory=dict)
    missing_file: int = 0
    failed: list[str] = field(default_factory=list)

    @property
    def added_total(self) -> int:
        return sum(self.added.values())


@dataclass(frozen=True)
class _Todo:
    photo_id: int
    student_id: int
    student_number: str
    content_hash: str
    file_path: str | None
    missing: tuple[str, ...]


def backfill_embeddings(
    factory: sessionmaker[Session],
    settings: Settings,
    embedders: Sequence[Embedder],
    *,
    progress: Progress | None = None,
) -> BackfillSummary:
    """Add to every enrolled photo the embeddings of ``embedders`` (current versions) it
    lacks, from its kept file (module docstring). Model errors (missing weights) propagate."""
    cipher = TemplateCipher.from_settings(settings)
    by_name = {e.name: e for e in embedders}
    with factory() as session:
        todo, summary = _plan(session, embedders)
    for done, item in enumerate(todo, start=1):
        _backfill_one(factory, settings, cipher, by_name, item, summary)
        if progress is not None:
            progress(done, len(todo))
    logger.info("backfill: %d embeddings added, %d photos without a file, %d failed",
                summary.added_total, summary.missing_file, len(summary.failed))
    return summary


def _plan(session: Session, embedders: Sequence[Embedder]) -> tuple[list[_Todo], BackfillSummary]:
    have: dict[int, set[tuple[str, str]]] = {}
    for photo_id, name, version in session.execute(
            select(FaceEmbedding.photo_id, FaceEmbedding.model_name, FaceEmbedding.model_version)):
        have.setdefault(photo_id, set()).add((name, version))
    rows = session.execute(
        select(FacePhoto.id, FacePhoto.student_id, Student.student_number,
               FacePhoto.content_hash, FacePhoto.file_path)
        .join(Student, Student.id == FacePhoto.student_id).order_by(FacePhoto.id)).tuples()
    summary = BackfillSummary()
    todo = []
    for photo_id, student_id, number, content_hash, file_path in rows:
        summary.photos += 1
        stored = have.get(photo_id, set())
        missing = tuple(e.name for e in embedders if (e.name, e.version) not in stored)
        if not missing:
            summary.complete += 1
            continue
        todo.append(_Todo(photo_id, student_id, number, content_hash, file_path, missing))
    return todo, summary


def _backfill_one(factory: sessionmaker[Session], settings: Settings, cipher: TemplateCipher,
                  embedders: dict[str, Embedder], item: _Todo, summary: BackfillSummary) -> None:
    where = f"{item.student_number} photo {item.photo_id}"
    if item.file_path is None or not (settings.instance_path / item.file_path).is_file():
        summary.missing_file += 1
        return
    try:
        data = read_photo(settings.instance_path, item.file_path, cipher,
                          photo_aad(item.student_id, item.content_hash))
        image = decode_image(data, filename=where, max_bytes=settings.max_image_bytes,
                             max_pixels=settings.max_image_pixels)
        quality = assess_photo(image.pixels, settings, filename=where)
    except PhotoRejected as exc:
        summary.failed.append(f"{where}: {exc.message}")
        return
    except (OSError, TemplateDecryptionError) as exc:
        summary.failed.append(f"{where}: cannot read the photo file ({exc})")
        return
    inputs = face_inputs(image.pixels, [quality.face])
    # The embedders serialise their own model calls (models.dlib_models, the Keras lock).
    vectors = {name: np.asarray(embedders[name].embed(inputs), dtype=np.float32)[0]
               for name in item.missing}
    added = []
    with factory.begin() as session:
        photo = session.get(FacePhoto, item.photo_id)
        if photo is None:  # erased meanwhile
            return
        stored = {(e.model_name, e.model_version) for e in photo.embeddings}
        for name, vector in vectors.items():
            embedder = embedders[name]
            if (name, embedder.version) in stored:  # another run got there first
                continue
            session.add(embedding_row(cipher, item.student_id, photo, embedder, vector))
            added.append(name)
    for name in added:  # counted once committed
        summary.added[name] = summary.added.get(name, 0) + 1


__all__ = ["BackfillSummary", "backfill_embeddings"]
