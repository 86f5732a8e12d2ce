"""Students, their face photos and the embeddings computed from them."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NEVER_REUSE_IDS, Base, utcnow, vector_from_bytes


class Student(Base):
    __tablename__ = "students"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    student_number: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    consent_given_at: Mapped[datetime | None]
    consent_given_by: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photos: Mapped[list[FacePhoto]] = relationship(
        back_populates="student", cascade="all, delete-orphan", passive_deletes=True
    )
    embeddings: Mapped[list[FaceEmbedding]] = relationship(
        back_populates="student", cascade="all, delete-orphan", passive_deletes=True
    )


class FacePhoto(Base):
    """One accepted enrollment photo with its quality figures."""

    __tablename__ = "face_photos"
    __table_args__ = (UniqueConstraint("student_id", "content_hash"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the uploaded bytes, hex; the same photo is never stored twice for a student.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Path of the kept image relative to the instance folder, or None when not kept.
    file_path: Mapped[str | None] = mapped_column(String(500))
    #: Id of the template key the kept file is encrypted with (``attendance.crypto``); None
    #: when no file is kept, or for a file written before encryption.
    key_id: Mapped[str | None] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    #: Height of the detected face box, pixels.
    face_pixels: Mapped[int]
    #: Variance of the Laplacian over the face (higher is sharper).
    sharpness: Mapped[float]
    #: Mean grey level over the face, 0-255.
    brightness: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student: Mapped[Student] = relationship(back_populates="photos")
    embeddings: Mapped[list[FaceEmbedding]] = relationship(
        back_populates="photo", cascade="all, delete-orphan", passive_deletes=True
    )


class FaceEmbedding(Base):
    """One model's embedding of one photo: little-endian float32 bytes, AES-GCM encrypted
    under the template key ``key_id`` (see ``attendance.crypto``; read them with
    ``attendance.matching.decrypt_embedding``). ``key_id`` None marks a row stored in plain
    form before encryption existed; ``attendance keys rotate`` encrypts those."""

    __tablename__ = "face_embeddings"
    __table_args__ = (
        UniqueConstraint("photo_id", "model_name", "model_version"),
        Index("ix_face_embeddings_model", "model_name", "model_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    photo_id: Mapped[int] = mapped_column(ForeignKey("face_photos.id", ondelete="CASCADE"))
    model_name: Mapped[str] = mapped_column(String(50))
    model_version: Mapped[str] = mapped_column(String(100))
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    student: Mapped[Student] = relationship(back_populates="embeddings")
    photo: Mapped[FacePhoto] = relationship(back_populates="embeddings")

    def as_array(self) -> NDArray[np.float32]:
        """The stored vector of a plain (``key_id`` None) row as a float32 array of length
        ``dimension``; an encrypted row raises ``ValueError`` (its length does not fit)."""
        return vector_from_bytes(self.vector, self.dimension)
