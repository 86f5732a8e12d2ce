"""Fixtures of the migration tests: an empty database of each kind to migrate step by step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from attendance.db import Base, make_engine
from tests.conftest import database_url


def drop_schema(engine: Engine) -> None:
    """Drop the ORM's tables and Alembic's version table: an empty database again."""
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@dataclass(frozen=True)
class EmptyDatabase:
    kind: str
    url: str
    engine: Engine


@pytest.fixture
def empty_database(
    db_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[EmptyDatabase]:
    """An empty database (no tables, no Alembic version) of each kind, for a test that
    upgrades it from an earlier revision; emptied again afterwards."""
    url = database_url(db_kind, request, tmp_path)
    engine = make_engine(url)
    drop_schema(engine)
    try:
        yield EmptyDatabase(db_kind, url, engine)
    finally:
        drop_schema(engine)
        engine.dispose()
