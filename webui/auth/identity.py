"""Who is signed in: a small immutable snapshot of the ``User`` row, and role checks.

Flask-Login keeps this object for the request; it is plain data, so no ORM instance outlives
the request's database session.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_login import current_user

from attendance.db import Role, User

from ..db import get_session


@dataclass(frozen=True)
class Identity:
    """The signed-in account, as Flask-Login's user object."""

    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    # The interface Flask-Login expects of a user object.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(id=user.id, username=user.username, role=user.role)


def load_identity(user_id: str) -> Identity | None:
    """Flask-Login's user loader: the active account with this id, else None (signed out)."""
    try:
        key = int(user_id)
    except ValueError:
        return None
    user = get_session().get(User, key)
    if user is None or not user.active:
        return None
    return Identity.of(user)


def current_identity() -> Identity:
    """The signed-in account; 401 when there is none (the login guard runs first)."""
    user = current_user._get_current_object()  # unwrap the proxy for isinstance
    if not isinstance(user, Identity):
        abort(401)
    return user


def require_admin() -> Identity:
    """The signed-in account if it is an admin, else 403."""
    identity = current_identity()
    if not identity.is_admin:
        abort(403)
    return identity
