"""Managing accounts: one-time passwords, resets, deactivation, roles, and the last admin."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.access import Actor
from attendance.db import AuditLog, User
from attendance.errors import Conflict, NotFound, PermissionDenied
from attendance.services.user_admin import (
    active_admin_count,
    create_account,
    list_users,
    reset_password,
    set_active,
    set_role,
)
from attendance.services.users import authenticate, change_password, create_user, verify_password


def _user(session: Session, name: str, role: str = "teacher") -> User:
    return create_user(session, username=name, password="long enough", role=role)


def _audits(session: Session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_a_new_account_gets_a_one_time_password(db_session: Session) -> None:
    boss = _user(db_session, "boss", "admin")
    user, password = create_account(db_session, username="tina", role="teacher", actor="boss",
                                    user_id=boss.id, by=Actor(boss.id, is_admin=True))
    assert len(password) >= 20
    assert user.must_change_password
    assert authenticate(db_session, "tina", password) is user
    (entry,) = [e for e in _audits(db_session, "user.create") if e.target_id == user.id]
    assert (entry.actor, entry.user_id) == ("boss", boss.id)
    assert password not in str(entry.details)
    change_password(db_session, user_id=user.id, current_password=password,
                    new_password="my own password")
    assert not user.must_change_password


def test_a_reset_gives_a_new_one_time_password_and_ends_sessions(db_session: Session) -> None:
    boss, tina = _user(db_session, "boss", "admin"), _user(db_session, "tina")
    before = tina.session_version
    password = reset_password(db_session, tina.id, actor="boss", user_id=boss.id,
                              by=Actor(boss.id, is_admin=True))
    assert verify_password(tina, password)
    assert not verify_password(tina, "long enough")
    assert tina.must_change_password
    assert tina.session_version == before + 1
    (entry,) = _audits(db_session, "user.password_reset")
    assert (entry.target_id, entry.details) == (tina.id, {"username": "tina"})


def test_deactivation_stops_sign_in_and_reactivation_restores_it(db_session: Session) -> None:
    _user(db_session, "boss", "admin")
    tina = _user(db_session, "tina")
    before = tina.session_version
    assert set_active(db_session, tina.id, False, actor="cli")
    assert not set_active(db_session, tina.id, False, actor="cli")  # already so: no change
    assert authenticate(db_session, "tina", "long enough") is None
    assert tina.session_version == before + 1
    assert set_active(db_session, tina.id, True, actor="cli")
    assert authenticate(db_session, "tina", "long enough") is tina
    assert [len(_audits(db_session, a)) for a in ("user.deactivate", "user.reactivate")] == [1, 1]


def test_role_changes_are_audited_with_old_and_new(db_session: Session) -> None:
    _user(db_session, "boss", "admin")
    tina = _user(db_session, "tina")
    assert set_role(db_session, tina.id, "admin", actor="cli")
    assert not set_role(db_session, tina.id, "admin", actor="cli")
    assert set_role(db_session, tina.id, "teacher", actor="cli")
    details = [e.details for e in _audits(db_session, "user.role_change")]
    assert details == [{"username": "tina", "from": "teacher", "to": "admin"},
                       {"username": "tina", "from": "admin", "to": "teacher"}]


def test_the_last_active_admin_is_never_deactivated_or_demoted(db_session: Session) -> None:
    boss = _user(db_session, "boss", "admin")
    other = _user(db_session, "other", "admin")
    set_active(db_session, other.id, False, actor="cli")  # another admin, but inactive
    with pytest.raises(Conflict, match="only active admin"):
        set_active(db_session, boss.id, False, actor="cli")
    with pytest.raises(Conflict, match="make another account an admin first"):
        set_role(db_session, boss.id, "teacher", actor="cli")
    assert (boss.active, boss.role) == (True, "admin")
    set_active(db_session, other.id, True, actor="cli")
    assert set_role(db_session, boss.id, "teacher", actor="cli")  # now another admin exists
    assert active_admin_count(db_session) == 1


def test_an_admin_does_not_lock_themselves_out(db_session: Session) -> None:
    boss = _user(db_session, "boss", "admin")
    _user(db_session, "other", "admin")
    me = Actor(boss.id, is_admin=True)
    for call, words in ((lambda: set_active(db_session, boss.id, False, actor="boss", by=me),
                         "deactivate your own account"),
                        (lambda: set_role(db_session, boss.id, "teacher", actor="boss", by=me),
                         "change your own role"),
                        (lambda: reset_password(db_session, boss.id, actor="boss", by=me),
                         "Password page")):
        with pytest.raises(Conflict, match=words):
            call()


def test_teachers_may_not_manage_accounts(db_session: Session) -> None:
    tina, tom = _user(db_session, "tina"), _user(db_session, "tom")
    teacher = Actor(tina.id)
    for call in (lambda: list_users(db_session, by=teacher),
                 lambda: create_account(db_session, username="x", role="admin", actor="tina",
                                        by=teacher),
                 lambda: reset_password(db_session, tom.id, actor="tina", by=teacher),
                 lambda: set_active(db_session, tom.id, False, actor="tina", by=teacher),
                 lambda: set_role(db_session, tina.id, "admin", actor="tina", by=teacher)):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound, match="No such account"):
        set_active(db_session, 999_999, False, actor="cli")


@pytest.mark.parametrize("db_kind", ["postgresql"], indirect=True)
def test_two_admins_demoting_each_other_at_once_leave_one(
    session_factory: sessionmaker[Session],
) -> None:
    """The admins' rows are locked before counting: when two admins demote each other at
    once, one waits, sees the other's change, and is refused."""
    with session_factory.begin() as session:
        ids = [_user(session, name, "admin").id for name in ("ann", "ben")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(target: int) -> None:
        with session_factory() as session:
            session.get(User, target)
            barrier.wait()
            try:
                set_role(session, target, "teacher", actor="cli")
                session.commit()
                outcomes.append("demoted")
            except Conflict:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["demoted", "refused"]
    with session_factory() as session:
        assert active_admin_count(session) == 1
