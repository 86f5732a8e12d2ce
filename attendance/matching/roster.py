"""The in-memory gallery a roster is matched against: every stored embedding of its students.

A course roster (tens to hundreds of students, a few photos each) fits in a few hundred
kilobytes per model, so it is loaded once per class session and searched with numpy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..crypto import TemplateCipher, read_embedding
from ..db import FaceEmbedding, Student, consent_covers

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Gallery:
    """All embeddings of one model version for a set of students.

    ``vectors`` is (N, dimension) float32, one row per stored photo; ``student_ids`` (N,)
    names each row's student. Rows are kept sorted by student so per-student minima are one
    ``np.minimum.reduceat``; a student with several photos owns several rows.
    """

    model_name: str
    model_version: str
    dimension: int
    vectors: NDArray[np.float32]
    student_ids: NDArray[np.int64]
    #: The distinct students, ascending, and the first row of each in ``vectors``.
    students: NDArray[np.int64] = field(init=False)
    starts: NDArray[np.intp] = field(init=False)
    #: Squared norms of the rows, cached for the distance computation.
    sq_norms: NDArray[np.float32] = field(init=False)

    def __post_init__(self) -> None:
        ids = np.asarray(self.student_ids, dtype=np.int64).reshape(-1)
        vectors = np.asarray(self.vectors, dtype=np.float32)
        if vectors.size != len(ids) * self.dimension:
            raise ValueError(f"{vectors.shape} vectors do not fit {len(ids)} student ids "
                             f"of dimension {self.dimension}")
        vectors = vectors.reshape(len(ids), self.dimension)
        order = np.argsort(ids, kind="stable")
        vectors, ids = np.ascontiguousarray(vectors[order]), ids[order]
        students, starts = np.unique(ids, return_index=True)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "student_ids", ids)
        object.__setattr__(self, "students", students.astype(np.int64))
        object.__setattr__(self, "starts", starts.astype(np.intp))
        object.__setattr__(self, "sq_norms", np.einsum("ij,ij->i", vectors, vectors))

    def __len__(self) -> int:
        return len(self.student_ids)

    @classmethod
    def empty(cls, model_name: str, model_version: str, dimension: int) -> Gallery:
        return cls(model_name, model_version, dimension,
                   np.zeros((0, dimension), np.float32), np.zeros(0, np.int64))


def load_gallery(
    session: Session,
    student_ids: Collection[int] | None,
    model_versions: Mapping[str, str],
    *,
    active_only: bool = True,
    course_id: int | None = None,
    cipher: TemplateCipher | None = None,
) -> dict[str, Gallery]:
    """Load the galleries of ``student_ids`` (``None``: every student), one per model name.

    ``model_versions`` maps each model name to the version whose embeddings are wanted;
    embeddings of other versions are never mixed in. ``active_only`` leaves out students
    marked inactive. Students without an active consent covering ``course_id`` (``None``:
    covering any course) are always left out, whatever the other arguments say. A model
    without any stored embedding gets an empty gallery. ``cipher`` decrypts the stored
    vectors (encrypted rows need it; a tampered row raises ``TemplateDecryptionError``).
    """
    galleries: dict[str, Gallery] = {}
    for name, version in model_versions.items():
        query = (
            select(FaceEmbedding.student_id, FaceEmbedding.dimension, FaceEmbedding.vector,
                   FaceEmbedding.key_id)
            .join(Student, Student.id == FaceEmbedding.student_id)
            .where(FaceEmbedding.model_name == name, FaceEmbedding.model_version == version,
                   consent_covers(FaceEmbedding.student_id, course_id))
        )
        if student_ids is not None:
            query = query.where(FaceEmbedding.student_id.in_(list(student_ids)))
        if active_only:
            query = query.where(Student.active.is_(True))
        rows = session.execute(query).all()
        _warn_other_versions_only(session, name, version, student_ids, active_only,
                                  {row.student_id for row in rows})
        dimensions = {row.dimension for row in rows}
        if len(dimensions) > 1:
            raise ValueError(f"{name} {version} embeddings have mixed dimensions {dimensions}")
        if not rows:
            galleries[name] = Gallery.empty(name, version, 0)
            continue
        dimension = dimensions.pop()
        vectors = np.stack([
            read_embedding(cipher, row.vector, row.key_id, student_id=row.student_id,
                           model_name=name, model_version=version, dimension=dimension)
            for row in rows])
        ids = np.fromiter((row.student_id for row in rows), dtype=np.int64, count=len(rows))
        galleries[name] = Gallery(name, version, dimension, vectors, ids)
        logger.debug("gallery %s %s: %d vectors of %d students", name, version,
                     len(ids), len(galleries[name].students))
    return galleries


class _OutdatedSeen:
    """Which students each (model, version) warning already named in this process, so a
    gallery loaded again and again (the enrollment duplicate check loads one per photo)
    warns once, and again only when more students turn out outdated."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], set[int]] = {}

    def first_news(self, name: str, version: str, outdated: set[int]) -> bool:
        """Whether ``outdated`` names a student not warned about yet (and remember them)."""
        with self._lock:
            seen = self._seen.setdefault((name, version), set())
            news = bool(outdated - seen)
            seen |= outdated
            return news

    def forget(self) -> None:
        """Warn afresh (tests: each database starts its ids from 1)."""
        with self._lock:
            self._seen.clear()


_OUTDATED = _OutdatedSeen()


def _warn_other_versions_only(session: Session, name: str, version: str,
                              student_ids: Collection[int] | None, active_only: bool,
                              have: set[int]) -> None:
    """Log a warning naming the command that helps when some students have ``name``
    embeddings of other versions only (the model's weights or views changed since they were
    enrolled): for them the matcher cannot use that model. Once per process for the same
    students (:class:`_OutdatedSeen`)."""
    query = (select(FaceEmbedding.student_id).distinct()
             .where(FaceEmbedding.model_name == name, FaceEmbedding.model_version != version))
    if student_ids is not None:
        query = query.where(FaceEmbedding.student_id.in_(list(student_ids)))
    if active_only:
        query = query.join(Student, Student.id == FaceEmbedding.student_id).where(
            Student.active.is_(True))
    outdated = set(session.scalars(query)) - have
    if _OUTDATED.first_news(name, version, outdated):
        logger.warning(
            "%d students have %s embeddings of another version only, none of %s: that model "
            "cannot match them until `attendance embeddings backfill` adds the current version",
            len(outdated), name, version)


__all__ = ["Gallery", "load_gallery"]
