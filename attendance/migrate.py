"""Running the Alembic migrations of ``migrations/`` against the configured database."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event

from .db import make_engine


def _migrations_dir() -> Path:
    # Located, not imported: ``migrations`` imports ``attendance``, never the other way round.
    spec = importlib.util.find_spec("migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the migrations package is not installed; reinstall the project")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


MIGRATIONS_DIR = _migrations_dir()


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url``, independent of the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    return config


def migration_engine(url: str) -> Engine:
    """The engine migrations run on. On SQLite, foreign keys are *not* enforced while a
    migration runs: batch mode rebuilds a table by copy, drop and rename, and dropping a
    parent table with enforcement on would cascade its ``ON DELETE`` to every child row
    (SQLite's documented procedure for such changes turns them off).
    :func:`check_foreign_keys` then verifies them before the transaction commits."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            # Runs after make_engine's hook, which turned them on; outside any transaction.
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    return engine


def check_foreign_keys(connection: Connection) -> None:
    """Raise when a SQLite migration left a row pointing at nothing (a no-op elsewhere)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} broken foreign key(s), e.g. "
                           f"{tuple(broken[0])}; nothing was changed")


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the newest), in one
    transaction (see :func:`migration_engine` for SQLite's foreign keys)."""
    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            check_foreign_keys(connection)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` back to ``revision`` (tests and emergencies)."""
    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
            check_foreign_keys(connection)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an unmigrated database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(url: str) -> str | None:
    """The newest revision shipped with this version of the code."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
