"""Password hashing strength, re-hashing of old hashes, password change and sign-out
everywhere (the session version)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from attendance.db import AuditLog, User
from attendance.errors import InvalidInput
from attendance.services.users import (
    PASSWORD_METHOD,
    authenticate,
    change_password,
    create_user,
    needs_rehash,
    revoke_sessions,
    verify_password,
)


def test_passwords_use_pbkdf2_sha256_with_600000_iterations(db_session: Session) -> None:
    user = create_user(db_session, username="ada", password="long enough", role="teacher")
    method, salt, digest = user.password_hash.split("$")
    algorithm, hash_name, iterations = method.split(":")
    assert (algorithm, hash_name) == ("pbkdf2", "sha256")
    assert int(iterations) >= 600_000
    assert len(salt) >= 16
    assert len(digest) == 64
    assert not needs_rehash(user.password_hash)


def test_an_old_scrypt_hash_still_verifies_and_is_replaced_at_sign_in(
    db_session: Session,
) -> None:
    old = generate_password_hash("old scheme pw", method="scrypt:16384:8:1")
    user = User(username="legacy", password_hash=old, role="teacher")
    db_session.add(user)
    db_session.flush()
    assert needs_rehash(old)
    assert authenticate(db_session, "legacy", "wrong guess") is None
    assert user.password_hash == old  # a failed attempt changes nothing
    assert authenticate(db_session, "legacy", "old scheme pw") is user
    assert user.password_hash.startswith(PASSWORD_METHOD + "$")
    assert verify_password(user, "old scheme pw")


def test_change_password_checks_the_current_one_and_ends_every_session(
    db_session: Session,
) -> None:
    user = create_user(db_session, username="bea", password="first password", role="teacher")
    version = user.session_version
    with pytest.raises(InvalidInput, match="current password is wrong"):
        change_password(db_session, user_id=user.id, current_password="nope nope",
                        new_password="second password")
    with pytest.raises(InvalidInput, match="too short"):
        change_password(db_session, user_id=user.id, current_password="first password",
                        new_password="short")
    assert user.session_version == version
    change_password(db_session, user_id=user.id, current_password="first password",
                    new_password="second password")
    assert user.session_version == version + 1
    assert authenticate(db_session, "bea", "first password") is None
    assert authenticate(db_session, "bea", "second password") is user
    actions = db_session.scalars(select(AuditLog.action).where(AuditLog.target_id == user.id))
    assert "user.password_change" in set(actions)


def test_revoke_sessions_bumps_the_version(db_session: Session) -> None:
    user = create_user(db_session, username="cy", password="long enough", role="teacher")
    revoke_sessions(db_session, user.id)
    revoke_sessions(db_session, user.id)
    assert user.session_version == 2
