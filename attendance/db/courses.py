"""Cameras, courses, their weekly schedule and their roster."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import NEVER_REUSE_IDS, Base, utcnow


class Camera(Base):
    __tablename__ = "cameras"
    #: A removed camera's id is never given to a new one: audit entries name cameras by id.
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: The source as it may be shown: a device index ("0"), a video file path, or an
    #: rtsp:// / http(s):// URL. A URL with credentials is kept here redacted
    #: (``attendance.camera_sources.redact_source``); the full URL is in ``source_secret``.
    source: Mapped[str] = mapped_column(String(1000))
    #: The full source, AES-GCM encrypted under template key ``source_key_id`` and bound to
    #: this camera (``attendance.crypto.camera_source_aad``), when it holds credentials; None
    #: otherwise. Only the worker decrypts it, to open the camera.
    source_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    source_key_id: Mapped[str | None] = mapped_column(String(32))
    last_heartbeat_at: Mapped[datetime | None]
    last_frame_at: Mapped[datetime | None]
    frames_processed: Mapped[int] = mapped_column(default=0)
    faces_seen: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 (hex) of the worker's token (``attendance camera token NAME``); None: no
    #: ``attendance worker`` may run for this camera.
    token_hash: Mapped[str | None] = mapped_column(String(64))


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (CheckConstraint("late_after_minutes >= 0", name="late_after_nonneg"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: IANA time zone the weekly schedule is written in.
    timezone: Mapped[str] = mapped_column(String(64))
    #: A first sighting later than start + this many minutes counts as late.
    late_after_minutes: Mapped[int] = mapped_column(default=10)
    camera_id: Mapped[int | None] = mapped_column(
        ForeignKey("cameras.id", ondelete="SET NULL"), index=True
    )
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: False: no camera capture, no gallery, no automatic marks for this course; attendance
    #: is taken by hand or with check-in codes only.
    face_recognition_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    camera: Mapped[Camera | None] = relationship()
    schedule: Mapped[list[CourseSchedule]] = relationship(
        back_populates="course",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(CourseSchedule.weekday, CourseSchedule.start_time)",
    )


class CourseSchedule(Base):
    """One weekly slot, in the course's time zone. Weekday 0 is Monday."""

    __tablename__ = "course_schedules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        UniqueConstraint("course_id", "weekday", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]

    course: Mapped[Course] = relationship(back_populates="schedule")


class Enrollment(Base):
    """The roster: which students belong to which course."""

    __tablename__ = "enrollments"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CameraTeacher(Base):
    """An admin made the camera available to the teacher: they may attach it to their own
    courses (``attendance.access``). A camera nobody was given stays the admins' to place."""

    __tablename__ = "camera_teachers"

    camera_id: Mapped[int] = mapped_column(
        ForeignKey("cameras.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
