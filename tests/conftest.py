"""Fixtures shared by every test: settings, engines on SQLite and PostgreSQL, sessions.

Database tests run twice, on a SQLite file and on the PostgreSQL server named by
``ATTENDANCE_TEST_POSTGRES_URL`` (default: the local server's ``test`` database). Each test run
works in its own PostgreSQL schema, dropped at the end. When PostgreSQL cannot be reached the
PostgreSQL half is skipped, with the reason printed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings, load_settings
from attendance.db import Base, make_engine, make_session_factory
from tests.outages import OutageDatabase

POSTGRES_URL = os.environ.get(
    "ATTENDANCE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unreachable_reason() -> str | None:
    try:
        probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with probe.connect() as conn:
            conn.execute(text("SELECT 1"))
        probe.dispose()
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc.__class__.__name__}: {exc}"
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the long soaks marked 'slow' (docs/reliability.md)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked ``slow`` unless ``--slow`` is given."""
    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason="long soak: run with --slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A URL whose connections work in a fresh schema of the PostgreSQL test database."""
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, empty database of ``kind`` (``sqlite`` or ``postgresql``)."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    base: str = request.getfixturevalue("postgres_schema_url")
    return base


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def engine(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database holding the ORM schema; emptied afterwards."""
    eng = make_engine(database_url(db_kind, request, tmp_path))
    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    yield eng
    Base.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A real session factory: for tests that commit, or use several connections."""
    return make_session_factory(engine)


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    outer.rollback()
    connection.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a private instance folder and no environment influence."""
    return make_settings(tmp_path)


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"instance_path": tmp_path / "instance"}
    values.update(overrides)
    return load_settings(values, environ={})


@pytest.fixture(params=["postgresql", "sqlite"])
def outage_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OutageDatabase]:
    """A database (the ORM schema on a private PostgreSQL server, or a SQLite file) that
    the test can really take down and bring back (:mod:`tests.outages`)."""
    database = OutageDatabase(request.param, tmp_path)
    try:
        engine = make_engine(database.url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield database
    finally:
        database.close()
