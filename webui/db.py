"""The per-request database session.

The app keeps one ``sessionmaker`` in ``app.extensions``; each request that needs the database
opens one :class:`~sqlalchemy.orm.Session` on ``g`` (flaskr's ``get_db``), and the session is
closed when the app context ends, rolling back anything the view did not commit.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

_EXTENSION_KEY = "attendance.session_factory"


def init_app(app: Flask, factory: sessionmaker[Session]) -> None:
    """Attach ``factory`` to ``app`` and close the request's session on teardown."""
    app.extensions[_EXTENSION_KEY] = factory
    app.teardown_appcontext(close_session)


def session_factory() -> sessionmaker[Session]:
    """The current app's session factory."""
    factory: sessionmaker[Session] = current_app.extensions[_EXTENSION_KEY]
    return factory


def get_session() -> Session:
    """The session of the current request, opened on first use."""
    if "db_session" not in g:
        g.db_session = session_factory()()
    session: Session = g.db_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session, if one was opened (uncommitted work is rolled back)."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()
