"""Dashboard accounts: creation rules, hashing, lookup and authentication."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.db import AuditLog, User
from attendance.errors import Conflict, InvalidInput, NotFound
from attendance.services.users import (
    authenticate,
    create_user,
    get_user_by_username,
    set_language,
    verify_password,
)


def test_create_hashes_password_and_audits(db_session: Session) -> None:
    user = create_user(db_session, username="alice", password="correct horse", role="admin")
    assert user.role == "admin"
    assert user.active
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:sha256:600000$")
    assert verify_password(user, "correct horse")
    assert not verify_password(user, "Correct horse")
    assert get_user_by_username(db_session, "alice").id == user.id
    (entry,) = db_session.scalars(select(AuditLog)).all()
    assert (entry.action, entry.target_id, entry.details) == (
        "user.create",
        user.id,
        {"username": "alice", "role": "admin"},
    )


def test_authenticate_checks_password_and_active_flag(db_session: Session) -> None:
    user = create_user(db_session, username="bob", password="s3cret-pass", role="teacher")
    assert authenticate(db_session, "bob", "s3cret-pass") is user
    assert authenticate(db_session, "bob", "wrong-pass") is None
    assert authenticate(db_session, "nobody", "s3cret-pass") is None
    user.active = False
    assert authenticate(db_session, "bob", "s3cret-pass") is None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("has space", "long enough", "admin", "username"),
        ("", "long enough", "admin", "username"),
        ("carol", "short", "admin", "too short"),
        ("carol", "long enough", "student", "role"),
    ],
)
def test_create_refuses_bad_input(
    db_session: Session, username: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        create_user(db_session, username=username, password=password, role=role)
    assert db_session.scalars(select(User)).all() == []


def test_usernames_are_unique_and_lookup_fails_clearly(db_session: Session) -> None:
    create_user(db_session, username="dan", password="long enough", role="teacher")
    with pytest.raises(Conflict, match="already exists"):
        create_user(db_session, username="dan", password="other long", role="admin")
    with pytest.raises(NotFound, match="user create"):
        get_user_by_username(db_session, "eve")


def test_set_language_stores_and_audits_a_change(db_session: Session) -> None:
    user = create_user(db_session, username="lucia", password="s3cret-pass", role="teacher")
    assert user.language is None  # the browser's language
    set_language(db_session, user_id=user.id, language="es")
    set_language(db_session, user_id=user.id, language="es")  # no change: no second entry
    assert db_session.get(User, user.id).language == "es"  # type: ignore[union-attr]
    set_language(db_session, user_id=user.id, language=None)
    changes = [e.details for e in db_session.scalars(
        select(AuditLog).where(AuditLog.action == "user.language").order_by(AuditLog.id))]
    assert changes == [{"language": "es"}, {"language": None}]


@pytest.mark.parametrize("bad", ["", "Spanish", "es-MX<script>", "e"])
def test_set_language_refuses_what_is_no_language_code(db_session: Session, bad: str) -> None:
    user = create_user(db_session, username="lucia", password="s3cret-pass", role="teacher")
    with pytest.raises(InvalidInput, match="language code"):
        set_language(db_session, user_id=user.id, language=bad)
