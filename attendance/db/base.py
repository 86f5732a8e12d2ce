"""The declarative base: naming convention, UTC timestamps, portable vectors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


#: Table options of the tables whose ids the audit log names (as ``target_id`` or in
#: ``details``) and whose rows are deleted (erasure, retention): on SQLite an id is then never
#: handed out again (``AUTOINCREMENT``; a plain ``INTEGER PRIMARY KEY`` reuses the highest
#: freed id), so an old audit entry can never point at a new student. PostgreSQL sequences
#: never reuse ids anyway.
NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (UTC).

    SQLite keeps no zone, so values are normalised to naive UTC on the way in and tagged
    UTC on the way out. Naive datetimes are refused: a missing zone is a bug, not UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; give it a time zone (UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every ORM table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def vector_to_bytes(vector: NDArray[np.floating[Any]]) -> bytes:
    """Pack a 1-D vector as little-endian float32 bytes (portable across databases)."""
    return np.ascontiguousarray(vector, dtype="<f4").reshape(-1).tobytes()


def vector_from_bytes(data: bytes, dimension: int) -> NDArray[np.float32]:
    """Unpack :func:`vector_to_bytes`; raises ``ValueError`` if the length does not match."""
    if len(data) != 4 * dimension:
        raise ValueError(f"stored vector has {len(data)} bytes, expected {4 * dimension}")
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
