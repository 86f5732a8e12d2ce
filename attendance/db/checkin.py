"""Check-in codes: the non-biometric way for students to mark themselves present."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CheckinCode(Base):
    """The current check-in code of one class session (at most one; reopening replaces it).

    The code is kept readable because the teacher's session page shows it; it is short-lived
    (``expires_at``) and only accepted together with a rostered student's number.
    """

    __tablename__ = "checkin_codes"
    __table_args__ = (UniqueConstraint("class_session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_session_id: Mapped[int] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE")
    )
    #: Six random decimal digits.
    code: Mapped[str] = mapped_column(String(6), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Accepted strictly before this instant.
    expires_at: Mapped[datetime]
    #: Who opened it (a username).
    opened_by: Mapped[str] = mapped_column(String(200))
