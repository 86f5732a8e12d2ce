"""Dashboard accounts: creation, lookup and password checks.

Passwords are stored only as werkzeug hashes: PBKDF2-HMAC-SHA256 with 600,000 iterations
(OWASP's 2023 figure) and a random salt per password; the plain text is never kept or logged.
Hashes made with another method (older scrypt ones) still verify and are replaced by the
current method at the next successful sign-in.
"""

from __future__ import annotations

import re
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import Role, User
from ..errors import Conflict, InvalidInput, NotFound, WrongPassword
from .audit import record_audit

#: werkzeug hashing method: PBKDF2-HMAC-SHA256, 600,000 iterations (about 0.3 s per hash).
PASSWORD_METHOD = "pbkdf2:sha256:600000"  # noqa: S105  (a hash method name, not a secret)
MIN_PASSWORD_LENGTH = 8
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
#: A language code as the dashboard stores it: "es", "en", "pt_BR".
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


def create_user(
    session: Session, *, username: str, password: str, role: Role | str, actor: str = "cli",
    user_id: int | None = None, must_change_password: bool = False,
) -> User:
    """Create an active account; ``role`` is ``admin`` or ``teacher``.

    The password needs at least :data:`MIN_PASSWORD_LENGTH` characters; with
    ``must_change_password`` it is a one-time password (the holder chooses their own at the
    first sign-in). The creation is audited as ``user.create`` by ``actor`` (account
    ``user_id``, if any).
    """
    username = username.strip()
    if not _USERNAME_RE.match(username):
        raise InvalidInput(
            "username %(username)r is invalid; use 1-100 letters, digits, '.', '_', '@' or '-'",
            username=username
        )
    try:
        role_value = Role(role).value
    except ValueError as exc:
        raise InvalidInput("role %(role)r is not one of admin, teacher", role=role) from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password is too short; use at least %(length)s "
                           "characters", length=MIN_PASSWORD_LENGTH)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("user %(username)r already exists; choose another username",
                       username=username)
    user = User(
        username=username,
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=role_value,
        must_change_password=must_change_password,
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
        user_id=user_id,
    )
    return user


def get_user_by_username(session: Session, username: str) -> User:
    """The account called ``username``, or :class:`NotFound`."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFound("no user %(username)r; create it with 'attendance user create'",
                       username=username)
    return user


def hash_password(password: str) -> str:
    """The stored form of ``password`` (:data:`PASSWORD_METHOD`, random salt)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_new_password(password: str) -> None:
    """Refuse (:class:`InvalidInput`) a password too short to be set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password is too short; use at least %(length)s "
                           "characters", length=MIN_PASSWORD_LENGTH)


def verify_password(user: User, password: str) -> bool:
    """True if ``password`` matches the user's stored hash (constant-time comparison)."""
    return check_password_hash(user.password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when ``password_hash`` was made with another method than :data:`PASSWORD_METHOD`."""
    return password_hash.split("$", 1)[0] != PASSWORD_METHOD


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (no hint which part was wrong).

    A correct password stored with an older method is re-hashed with the current one.
    """
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        # Spend the same time as a real check, so response times do not reveal usernames.
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.active or not verify_password(user, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
        session.flush()
    return user


def change_password(
    session: Session, *, user_id: int, current_password: str, new_password: str
) -> User:
    """Replace the account's password after checking the current one, and end every
    signed-in session of the account (audited as ``user.password_change``).

    Raises :class:`WrongPassword` (an :class:`InvalidInput`) for a wrong current password
    and :class:`InvalidInput` for an unfit new one.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no user with id %(user_id)s", user_id=user_id)
    if not verify_password(user, current_password):
        raise WrongPassword("the current password is wrong")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password is too short; use at least %(length)s "
                           "characters", length=MIN_PASSWORD_LENGTH)
    if new_password == current_password:
        raise InvalidInput("the new password must differ from the current one")
    user.password_hash = generate_password_hash(new_password, method=PASSWORD_METHOD)
    user.session_version += 1
    user.must_change_password = False
    session.flush()
    record_audit(session, actor=user.username, action="user.password_change",
                 target_type="user", target_id=user.id, details={}, user_id=user.id)
    return user


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every signed-in session of the account (sign-out everywhere)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_version += 1
        session.flush()


def set_language(session: Session, *, user_id: int, language: str | None) -> User:
    """Set the account's dashboard language (a code such as ``"es"``; None: follow the
    browser's), audited as ``user.language``. Which languages exist is the dashboard's
    to offer; this checks only that ``language`` is shaped like a language code."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no user with id %(user_id)s", user_id=user_id)
    if language is not None and not _LANGUAGE_RE.match(language):
        raise InvalidInput("language %(language)r is not a language code such as 'es'",
                           language=language[:20])
    if user.language != language:
        user.language = language
        session.flush()
        record_audit(session, actor=user.username, action="user.language", target_type="user",
                     target_id=user.id, details={"language": language}, user_id=user.id)
    return user


@cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16), method=PASSWORD_METHOD)
