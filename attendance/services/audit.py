"""Writing the audit log. Every state-changing action of a person goes through here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..db import AuditLog


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: int | None = None,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
) -> AuditLog:
    """Add an audit entry to ``session`` (the caller commits).

    ``actor`` is readable on its own (a username, ``"cli"``, ``"worker:<camera>"``);
    ``action`` is a dotted verb such as ``"attendance.override"``.
    """
    entry = AuditLog(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=dict(details or {}),
        user_id=user_id,
    )
    session.add(entry)
    return entry
