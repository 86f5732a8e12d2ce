"""What the camera saw (sightings) and what was concluded (attendance records)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import NEVER_REUSE_IDS, Base, utcnow


class Status(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


class Source(enum.StrEnum):
    AUTO = "auto"
    MANUAL = "manual"


class Sighting(Base):
    """One face seen in one frame, with the evidence behind its decision."""

    __tablename__ = "sightings"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    class_session_id: Mapped[int] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True
    )
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime]
    #: The matched student, or None for an unknown face.
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    #: Per model: {"distance": float, "threshold": float, "version": str, "candidate": id}.
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    box_top: Mapped[int]
    box_right: Mapped[int]
    box_bottom: Mapped[int]
    box_left: Mapped[int]
    #: Idempotency key chosen by the writer, so a retried write never duplicates a sighting.
    dedupe_key: Mapped[str | None] = mapped_column(String(64), unique=True)


class AttendanceRecord(Base):
    """A student's attendance for one session; at most one per (session, student)."""

    __tablename__ = "attendance_records"
    __table_args__ = (
        UniqueConstraint("class_session_id", "student_id"),
        CheckConstraint("status IN ('present', 'late', 'absent', 'excused')", name="status_valid"),
        CheckConstraint("source IN ('auto', 'manual')", name="source_valid"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_session_id: Mapped[int] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE")
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default=Source.AUTO.value)
    first_seen_at: Mapped[datetime | None]
    sightings_count: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(200))


class Verdict(enum.StrEnum):
    """A teacher's verdict on one sighting's candidate student."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ReviewDecision(Base):
    """A teacher's "yes, this is X" or "not X" for an unsure sighting; one per sighting.

    Rejections are remembered so the worker can stop counting unsure sightings of X in that
    session (``attendance.services.review.suppressed_students``).
    """

    __tablename__ = "review_decisions"
    __table_args__ = (
        UniqueConstraint("sighting_id"),
        CheckConstraint("decision IN ('confirmed', 'rejected')", name="decision_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    #: The candidate the verdict is about (the student the sighting was shown as).
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Readable actor (a username), kept when the account is deleted.
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)
