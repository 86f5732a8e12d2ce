"""Who is signed in: a small immutable snapshot of the ``User`` row, and role checks.

Flask-Login keeps this object for the request; it is plain data, so no ORM instance outlives
the request's database session. The id kept in the session cookie is ``"<user id>:<session
version>"``: bumping ``User.session_version`` (sign-out, password change) ends every session
that started before, even a copied cookie.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_login import current_user

from attendance.db import Role, User

from ..db import get_read_session


@dataclass(frozen=True)
class Identity:
    """The signed-in account, as Flask-Login's user object."""

    id: int
    username: str
    role: str
    session_version: int = 0
    #: Signed in with a one-time password an admin gave: must choose their own first.
    must_change_password: bool = False
    #: The dashboard language the user chose; None: the browser's (``webui.i18n``).
    language: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    # The interface Flask-Login expects of a user object.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(id=user.id, username=user.username, role=user.role,
                   session_version=user.session_version,
                   must_change_password=user.must_change_password, language=user.language)


def load_identity(session_id: str) -> Identity | None:
    """Flask-Login's user loader: the active account of ``"<id>:<session version>"`` while
    its session version is unchanged, else None (signed out)."""
    user_part, sep, version_part = session_id.partition(":")
    try:
        key, version = int(user_part), int(version_part)
    except ValueError:
        return None
    user = get_read_session().get(User, key)  # every request: never the write lock
    if user is None or not user.active or not sep or user.session_version != version:
        return None
    return Identity.of(user)


def current_identity() -> Identity:
    """The signed-in account; 401 when there is none (the login guard runs first)."""
    user = current_user._get_current_object()  # unwrap the proxy for isinstance
    if not isinstance(user, Identity):
        abort(401)
    return user
