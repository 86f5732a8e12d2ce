"""The migrations build exactly the schema the ORM describes, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from attendance import migrate
from attendance.db import Base, make_engine
from tests.conftest import database_url


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_upgrade_to_head_matches_orm(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = database_url(kind, request, tmp_path)
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        migrate.upgrade(url)
        assert migrate.current_revision(engine) == migrate.head_revision(url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
        migrate.upgrade(url)  # a second upgrade is a no-op
    finally:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrated_audit_log_refuses_updates_and_deletes(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    url = database_url(kind, request, tmp_path)
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    try:
        migrate.upgrade(url)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_log (at, actor, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'cli', 'test', '{}')"
            ))
        for statement in ("UPDATE audit_log SET action = 'changed'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_log")).scalars().all() == ["test"]
    finally:
        Base.metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        engine.dispose()
