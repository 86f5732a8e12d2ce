"""A student's name and email, changed on their own form, audited.

Enrollment never renames anyone: adding photos to an enrolled student leaves their name and
email alone, so a rename is always this deliberate, audited step.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from .. import access
from ..access import Action, Principal
from ..db import Student
from ..errors import InvalidInput
from .audit import record_audit

#: Longest name and email stored (the columns' sizes).
MAX_NAME = 200
MAX_EMAIL = 254


def update_student(
    session: Session,
    student_id: int,
    *,
    display_name: str,
    email: str | None,
    actor: str,
    user_id: int | None = None,
    by: Principal | None = None,
) -> Student:
    """Set the student's display name and email (None or blank: no email); audited as
    ``student.update`` with the old and new values. ``by`` (None: the operator) must be
    allowed EDIT_STUDENT (``attendance.access``). Changes nothing when both are unchanged."""
    student = access.load_student(session, by, Action.EDIT_STUDENT, student_id)
    name = display_name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("the name must be 1 to %(length)s characters long", length=MAX_NAME)
    address = (email or "").strip() or None
    if address is not None and len(address) > MAX_EMAIL:
        raise InvalidInput("the email address must be at most %(length)s characters long",
                           length=MAX_EMAIL)
    old = {"display_name": student.display_name, "email": student.email}
    new = {"display_name": name, "email": address}
    if old == new:
        return student
    student.display_name, student.email = name, address
    record_audit(session, actor=actor, action="student.update", target_type="student",
                 target_id=student.id, user_id=user_id,
                 details={"student_number": student.student_number, "old": old, "new": new})
    session.flush()
    return student


__all__ = ["update_student"]
