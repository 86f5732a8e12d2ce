"""Alembic migrations. The ORM tables in ``attendance.db`` are the source of truth."""
