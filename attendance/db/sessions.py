"""Class sessions: one meeting of a course, in UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .courses import Course


class ClassSession(Base):
    __tablename__ = "class_sessions"
    __table_args__ = (
        UniqueConstraint("course_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    #: The weekly slot it was materialised from; None for an ad-hoc session.
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_schedules.id", ondelete="SET NULL")
    )
    #: Set when absences were recorded at the end of the session.
    finalized_at: Mapped[datetime | None]
    #: Camera coverage (see ``attendance.services.oversight``): capture ticks inside
    #: [starts_at, ends_at) whose frame was read and analysed, counted by the worker ...
    frames_received: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    #: ... and the ticks the session length allows at the capture interval (set when
    #: finalised by a camera worker; None otherwise).
    frames_expected: Mapped[int | None]
    #: Coverage was below ``min_frame_coverage``: nobody was marked absent automatically.
    incomplete: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Human oversight: automatic marks are provisional until a teacher confirms the
    #: session; from then on the camera never changes any of its marks.
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
