"""The audit log is append-only in the database: updates and deletes are refused, except the
retention purge, which leaves the guard in place for everybody else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, User
from attendance.db.audit_guard import install_audit_guard, purge_audit_log, remove_audit_guard
from attendance.services.audit import record_audit

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _entries(factory: sessionmaker[Session]) -> list[tuple[str, int | None]]:
    with factory() as session:
        rows = session.execute(select(AuditLog.action, AuditLog.user_id).order_by(AuditLog.id))
        return [(r.action, r.user_id) for r in rows]


def _seed(factory: sessionmaker[Session]) -> int:
    with factory.begin() as session:
        user = User(username="carol", password_hash="x", role="teacher")
        session.add(user)
        session.flush()
        for days, action in ((400, "old.one"), (200, "old.two"), (10, "recent")):
            entry = record_audit(session, actor="carol", action=action, user_id=user.id)
            entry.at = NOW - timedelta(days=days)
        return user.id


@pytest.mark.parametrize("statement", [
    update(AuditLog).values(action="forged"),
    update(AuditLog).values(at=NOW),
    delete(AuditLog),
])
def test_updates_and_deletes_are_refused_by_the_database(
    session_factory: sessionmaker[Session], statement: object,
) -> None:
    _seed(session_factory)
    before = _entries(session_factory)
    with session_factory() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(statement)  # type: ignore[call-overload]
    assert _entries(session_factory) == before


def test_truncate_is_refused_on_postgresql(
    engine: Engine, db_kind: str, session_factory: sessionmaker[Session],
) -> None:
    if db_kind != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _seed(session_factory)
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("TRUNCATE audit_log"))
    assert len(_entries(session_factory)) == 3


def test_deleting_an_account_keeps_its_entries(session_factory: sessionmaker[Session]) -> None:
    user_id = _seed(session_factory)
    with session_factory.begin() as session:
        session.execute(delete(User).where(User.id == user_id))
    assert _entries(session_factory) == [("old.one", None), ("old.two", None), ("recent", None)]


def test_purge_deletes_only_old_entries_and_the_guard_stays(
    session_factory: sessionmaker[Session],
) -> None:
    _seed(session_factory)
    with session_factory.begin() as session:
        assert purge_audit_log(session, NOW - timedelta(days=180)) == 2
    with session_factory.begin() as session:
        assert purge_audit_log(session, NOW - timedelta(days=180)) == 0
    assert [a for a, _ in _entries(session_factory)] == ["recent"]
    with session_factory() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(delete(AuditLog))


def test_a_failed_purge_rolls_back_with_the_guard_restored(
    session_factory: sessionmaker[Session],
) -> None:
    _seed(session_factory)
    with session_factory() as session:
        purge_audit_log(session, NOW)
        session.rollback()
    assert len(_entries(session_factory)) == 3
    with session_factory() as session, pytest.raises(DBAPIError, match="append-only"):
        session.execute(delete(AuditLog))


def test_the_guard_can_be_removed_and_installed_by_a_migration(
    engine: Engine, session_factory: sessionmaker[Session],
) -> None:
    _seed(session_factory)
    with engine.begin() as conn:
        remove_audit_guard(conn, engine.dialect.name)
    with session_factory.begin() as session:
        session.execute(delete(AuditLog).where(AuditLog.action == "old.one"))
    with engine.begin() as conn:
        install_audit_guard(conn, engine.dialect.name)
    with session_factory() as session:
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(delete(AuditLog))
        session.rollback()
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 2
