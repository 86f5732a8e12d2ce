"""The per-request database sessions.

The app keeps two ``sessionmaker``s in ``app.extensions``: one for writes and its read-only
twin (``attendance.db.make_session_factory``). A request opens at most one of each on ``g``
(flaskr's ``get_db``), closed when the app context ends, rolling back anything not committed.

Reads never take SQLite's write lock: a GET (or HEAD, OPTIONS) request's :func:`get_session`
is the read-only one, and so is :func:`get_read_session` in any request (the user loader uses
it). Other requests get a write session, which on SQLite holds the write lock from its first
statement until commit: a view that does heavy work (decoding, detection, embedding) reads
through :func:`get_read_session`, does the work, and only then touches :func:`get_session`.
A GET view that must write (the audit entry of a download) uses :func:`write_session`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import read_only_factory

_EXTENSION_KEY = "attendance.session_factory"
_READ_EXTENSION_KEY = "attendance.read_session_factory"
#: Methods that must not change anything (RFC 9110 "safe" methods).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask, factory: sessionmaker[Session]) -> None:
    """Attach ``factory`` (and its read-only twin) to ``app``; close sessions on teardown."""
    app.extensions[_EXTENSION_KEY] = factory
    app.extensions[_READ_EXTENSION_KEY] = read_only_factory(factory)
    app.teardown_appcontext(close_session)


def session_factory() -> sessionmaker[Session]:
    """The current app's (write) session factory."""
    factory: sessionmaker[Session] = current_app.extensions[_EXTENSION_KEY]
    return factory


def read_session_factory() -> sessionmaker[Session]:
    """The current app's read-only session factory."""
    factory: sessionmaker[Session] = current_app.extensions[_READ_EXTENSION_KEY]
    return factory


def get_session() -> Session:
    """The session of the current request, opened on first use: read-only for a safe method
    (GET, HEAD, OPTIONS), else a write session."""
    if request and request.method in _SAFE_METHODS:
        return get_read_session()
    if "db_session" not in g:
        g.db_session = session_factory()()
    session: Session = g.db_session
    return session


def get_read_session() -> Session:
    """The request's read-only session, opened on first use (never takes the write lock)."""
    if "db_read_session" not in g:
        g.db_read_session = read_session_factory()()
    session: Session = g.db_read_session
    return session


def end_reads() -> None:
    """End the read-only session's transaction, if any (before slow work, so no snapshot is
    held open across it). Objects it loaded stay usable."""
    session: Session | None = g.get("db_read_session")
    if session is not None:
        session.commit()  # nothing to write: this only ends the read transaction


@contextmanager
def write_session() -> Iterator[Session]:
    """A short write session of its own, for a write in a GET request; the caller commits."""
    with session_factory()() as session:
        yield session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's sessions, if opened (uncommitted work is rolled back)."""
    for key in ("db_session", "db_read_session"):
        session: Session | None = g.pop(key, None)
        if session is not None:
            session.close()
