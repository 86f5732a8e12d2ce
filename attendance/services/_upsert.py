"""INSERT that quietly does nothing when a unique constraint says the row already exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FromClause


def insert_ignoring_conflict(
    session: Session,
    table: FromClause,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> bool:
    """Insert one row into ``table``; return False if ``conflict_columns`` already match a row.

    PostgreSQL and SQLite use ``INSERT ... ON CONFLICT (...) DO NOTHING``: a concurrent
    inserter waits for the other transaction and then does nothing, so the statement never
    fails. Other databases fall back to a SAVEPOINT that is rolled back on IntegrityError.
    Column defaults defined in Python (timestamps) are applied as for any Core insert.
    """
    assert isinstance(table, Table)  # noqa: S101  (ORM classes map to plain tables here)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = (
            module.insert(table)
            .values(dict(values))
            .on_conflict_do_nothing(index_elements=list(conflict_columns))
            .returning(*table.primary_key.columns)
        )
        # RETURNING gives a row only if one was inserted (rowcount is -1 on psycopg here).
        return session.execute(statement).first() is not None
    try:
        with session.begin_nested():
            session.execute(insert(table).values(dict(values)))
    except IntegrityError:
        return False
    return True
