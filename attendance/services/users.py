"""Dashboard accounts: creation, lookup and password checks.

Passwords are stored only as werkzeug hashes (scrypt, werkzeug's default: memory-hard, with
a random salt per password); the plain text is never kept or logged.
"""

from __future__ import annotations

import re
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import Role, User
from ..errors import Conflict, InvalidInput, NotFound
from .audit import record_audit

#: werkzeug hashing method: scrypt with N=2**15, r=8, p=1 (about 32 MiB and 0.1 s per hash).
PASSWORD_METHOD = "scrypt:32768:8:1"  # noqa: S105  (a hash method name, not a secret)
MIN_PASSWORD_LENGTH = 8
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


def create_user(
    session: Session, *, username: str, password: str, role: Role | str, actor: str = "cli"
) -> User:
    """Create an active account; ``role`` is ``admin`` or ``teacher``.

    The password needs at least :data:`MIN_PASSWORD_LENGTH` characters. The creation is
    audited as ``user.create`` by ``actor``.
    """
    username = username.strip()
    if not _USERNAME_RE.match(username):
        raise InvalidInput(
            f"username {username!r} is invalid; use 1-100 letters, digits, '.', '_', '@' or '-'"
        )
    try:
        role_value = Role(role).value
    except ValueError as exc:
        raise InvalidInput(f"role {role!r} is not one of admin, teacher") from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password is too short; use at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"user {username!r} already exists; choose another username")
    user = User(
        username=username,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=role_value,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="user.create",
        target_type="user",
        target_id=user.id,
        details={"username": username, "role": role_value},
    )
    return user


def get_user_by_username(session: Session, username: str) -> User:
    """The account called ``username``, or :class:`NotFound`."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFound(f"no user {username!r}; create it with 'attendance user create'")
    return user


def verify_password(user: User, password: str) -> bool:
    """True if ``password`` matches the user's stored hash (constant-time comparison)."""
    return check_password_hash(user.password_hash, password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no hint which part was wrong)."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        # Spend the same time as a real check, so response times do not reveal usernames.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not verify_password(user, password):
        return None
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)
