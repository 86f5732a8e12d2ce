"""Dashboard accounts and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'teacher')", name="role_valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    #: Bumped on sign-out and password change: every signed-in session of the account
    #: carries the number it started with and ends when it no longer matches.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set when an admin created the account or reset its password: the password was shown
    #: to the admin once and works only until the holder chooses their own (every page but
    #: the password form and signing out asks for that first).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The dashboard language the user chose (a language code such as "es"); None: the
    #: browser's language.
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditLog(Base):
    """Who did what, when (UTC). Rows are only ever added."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Readable actor: a username, "worker:<camera>" or "cli".
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
