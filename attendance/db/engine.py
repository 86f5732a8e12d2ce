"""The one place that creates the database engine and the session factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings

#: Seconds a SQLite writer waits for a lock before giving up (setting
#: ``sqlite_busy_timeout_seconds``).
SQLITE_BUSY_TIMEOUT_S = 30.0


def make_engine(
    settings_or_url: Settings | str, *, busy_timeout_s: float | None = None, **kwargs: Any
) -> Engine:
    """Create the engine for ``settings`` (or a URL), with SQLite made safe for our use.

    On SQLite: foreign keys are enforced, deleted content is zeroed (secure_delete), WAL
    journaling lets the dashboard read while a worker writes, and pysqlite's own transaction
    handling is replaced by an explicit ``BEGIN`` (the SQLAlchemy recipe) so SAVEPOINTs
    and ``BEGIN IMMEDIATE`` work. A lock held by another connection is waited for
    ``busy_timeout_s`` seconds (default: the settings' ``sqlite_busy_timeout_seconds``, or
    :data:`SQLITE_BUSY_TIMEOUT_S` for a bare URL).
    """
    if isinstance(settings_or_url, Settings):
        url = settings_or_url.effective_database_url
        if busy_timeout_s is None:
            busy_timeout_s = settings_or_url.sqlite_busy_timeout_seconds
    else:
        url = settings_or_url
    if url.startswith("sqlite"):
        timeout = SQLITE_BUSY_TIMEOUT_S if busy_timeout_s is None else busy_timeout_s
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", timeout)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _install_sqlite_hooks(engine, timeout)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _install_sqlite_hooks(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, so an erased student's embedding bytes do
        # not linger in free pages of the file (erasure, GDPR Art. 17).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer's IMMEDIATE takes the write lock up front, so two writers queue on
        # busy_timeout instead of failing later with "database is locked" on lock upgrade.
        # A reader's DEFERRED takes no write lock at all: with WAL it reads a snapshot while
        # a writer works, and never makes one wait.
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


#: Execution option marking an engine or connection whose transactions only read.
READ_ONLY_OPTION = "attendance_read_only"


class ReadOnlySessionError(RuntimeError):
    """A read-only session was asked to write: a bug in the caller, never the user's fault."""


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """One factory per process (and one more for reads); sessions keep loaded values after
    commit.

    ``read_only`` sessions never take SQLite's write lock (their transactions begin
    DEFERRED), so page views and other reads never wait for, nor hold up, a writer; a flush
    of pending changes in one raises :class:`ReadOnlySessionError`. Write sessions begin
    IMMEDIATE on SQLite: do heavy work (decoding, detection, embedding) before their first
    statement, because the write lock is held from then until commit.
    """
    if not read_only:
        return sessionmaker(bind=engine, expire_on_commit=False)
    factory = sessionmaker(bind=engine.execution_options(**{READ_ONLY_OPTION: True}),
                           expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_flush)
    return factory


F = TypeVar("F", bound=Callable[[], Session])


def read_only_factory(factory: F) -> F | sessionmaker[Session]:
    """The read-only twin of a write ``factory`` bound to an engine (:func:`make_session_factory`
    with ``read_only``); ``factory`` itself when it is anything else (a test's connection
    inside an outer transaction, a test double)."""
    bind = factory.kw.get("bind") if isinstance(factory, sessionmaker) else None
    if isinstance(bind, Engine):
        return make_session_factory(bind, read_only=True)
    return factory


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    raise ReadOnlySessionError(
        "a read-only database session was asked to write; open a write session for that"
    )
