"""The audit log is append-only, enforced by the database itself.

Triggers refuse every ``UPDATE`` of a recorded column and every ``DELETE`` (and, on
PostgreSQL, ``TRUNCATE``) of ``audit_log``, whoever issues it. The one column left updatable is
``user_id``: its foreign key is ``ON DELETE SET NULL``, so deleting an account nulls the link
while ``actor`` keeps the readable name.

The triggers are created with the table (``create_all``, via DDL events registered on import
of this module) and by migrations through :func:`install_audit_guard`. The retention purge
(:func:`purge_audit_log`) is the only sanctioned delete: inside its transaction it lifts the
delete trigger (PostgreSQL: ``ALTER TABLE ... DISABLE TRIGGER``, which needs the table's
owner; SQLite: ``DROP TRIGGER``, re-created before commit; DDL is transactional in both), so
no other connection ever sees the log unguarded, and a failed purge restores the guard by
rolling back. A flag table the trigger consults was the alternative on SQLite; it would be one
more writable bypass and one more table, for no gain.

Erasure is the one sanctioned update (:func:`rewrite_for_erasure`, called only by
``attendance.services.erasure``): GDPR Art. 17 wants the erased student's personal data out
of the log too, while the log must keep every entry. Inside the erasure's transaction the
update guard is swapped for a narrower one (:data:`ERASURE_GUARD`) that still refuses any
change to ``id``, ``at``, ``action``, ``target_type`` and ``target_id``, only ``actor`` and
``details`` of the named entries are rewritten (their personal data replaced by the student's
pseudonym), and the full guard is back before the function returns. Rows are never deleted
and never added by it; the same transactional-DDL argument as for the purge applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import DDL, Connection, delete, event, text, update
from sqlalchemy.orm import Session

from .users import AuditLog

TABLE = "audit_log"
MESSAGE = "audit log is append-only"
NO_UPDATE, NO_DELETE, NO_TRUNCATE = "audit_log_no_update", "audit_log_no_delete", \
    "audit_log_no_truncate"
PG_FUNCTION = "audit_log_append_only"
#: Columns no UPDATE may touch: all but ``user_id`` (see the module docstring).
GUARDED_COLUMNS = ("id", "at", "actor", "action", "target_type", "target_id", "details")
#: What an erasure may rewrite, and what stays guarded while it does (module docstring).
ERASABLE_COLUMNS = ("actor", "details")
ERASURE_GUARDED_COLUMNS = tuple(c for c in GUARDED_COLUMNS if c not in ERASABLE_COLUMNS)
ERASURE_GUARD = "audit_log_erasure_guard"


def _sqlite_trigger(name: str, event_sql: str) -> str:
    return (f"CREATE TRIGGER {name} BEFORE {event_sql} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def guard_statements(dialect: str) -> list[str]:
    """The SQL creating the guard on ``dialect`` (``sqlite`` or ``postgresql``)."""
    columns = ", ".join(GUARDED_COLUMNS)
    if dialect == "sqlite":
        return [_sqlite_trigger(NO_UPDATE, f"UPDATE OF {columns}"),
                _sqlite_trigger(NO_DELETE, "DELETE")]
    if dialect == "postgresql":
        return [
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$",
            f"CREATE TRIGGER {NO_UPDATE} BEFORE UPDATE OF {columns} ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
            f"CREATE TRIGGER {NO_DELETE} BEFORE DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
            f"CREATE TRIGGER {NO_TRUNCATE} BEFORE TRUNCATE ON {TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
        ]
    raise ValueError(f"no audit-log guard for the {dialect!r} dialect")


def drop_statements(dialect: str) -> list[str]:
    """The SQL removing the guard (a migration's downgrade)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {NO_UPDATE}", f"DROP TRIGGER IF EXISTS {NO_DELETE}"]
    if dialect == "postgresql":
        return [*(f"DROP TRIGGER IF EXISTS {t} ON {TABLE}"
                  for t in (NO_UPDATE, NO_DELETE, NO_TRUNCATE)),
                f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]
    raise ValueError(f"no audit-log guard for the {dialect!r} dialect")


def install_audit_guard(op_or_connection: Any, dialect: str) -> None:
    """Create the guard: from a migration, ``install_audit_guard(op, op.get_bind().dialect.name)``;
    or with a SQLAlchemy ``Connection``."""
    _run(op_or_connection, guard_statements(dialect))


def remove_audit_guard(op_or_connection: Any, dialect: str) -> None:
    """Drop the guard (the counterpart of :func:`install_audit_guard`)."""
    _run(op_or_connection, drop_statements(dialect))


def _run(target: Any, statements: list[str]) -> None:
    for sql in statements:
        target.execute(text(sql) if isinstance(target, Connection) else sql)


def purge_audit_log(session: Session, before: datetime) -> int:
    """Delete audit entries recorded before ``before`` (the retention purge); returns how many.

    Lifts the delete guard only inside the caller's transaction (see the module docstring).
    """
    dialect = session.get_bind().dialect.name
    old = session.query(AuditLog.id).filter(AuditLog.at < before).count()
    if not old:
        return 0
    if dialect == "postgresql":
        session.execute(text(f"ALTER TABLE {TABLE} DISABLE TRIGGER {NO_DELETE}"))
        session.execute(delete(AuditLog).where(AuditLog.at < before))
        session.execute(text(f"ALTER TABLE {TABLE} ENABLE TRIGGER {NO_DELETE}"))
    elif dialect == "sqlite":
        session.execute(text(f"DROP TRIGGER {NO_DELETE}"))
        session.execute(delete(AuditLog).where(AuditLog.at < before))
        session.execute(text(_sqlite_trigger(NO_DELETE, "DELETE")))
    else:
        session.execute(delete(AuditLog).where(AuditLog.at < before))
    return old


def rewrite_for_erasure(session: Session, entries: Mapping[int, tuple[str, dict[str, Any]]]
                        ) -> int:
    """Set ``actor`` and ``details`` of each audit entry ``id -> (actor, details)``: the one
    sanctioned update, for a student's erasure only (module docstring). Returns how many.

    Runs in the caller's transaction. On PostgreSQL a failure leaves the transaction aborted,
    and its rollback restores the guard; on SQLite the guard is restored here either way.
    """
    if not entries:
        return 0
    dialect = session.get_bind().dialect.name
    narrow = ", ".join(ERASURE_GUARDED_COLUMNS)
    if dialect == "postgresql":
        session.execute(text(
            f"CREATE TRIGGER {ERASURE_GUARD} BEFORE UPDATE OF {narrow} ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"))
        session.execute(text(f"ALTER TABLE {TABLE} DISABLE TRIGGER {NO_UPDATE}"))
        _rewrite(session, entries)
        session.execute(text(f"ALTER TABLE {TABLE} ENABLE TRIGGER {NO_UPDATE}"))
        session.execute(text(f"DROP TRIGGER {ERASURE_GUARD} ON {TABLE}"))
    elif dialect == "sqlite":
        session.execute(text(f"DROP TRIGGER {NO_UPDATE}"))
        session.execute(text(_sqlite_trigger(ERASURE_GUARD, f"UPDATE OF {narrow}")))
        try:
            _rewrite(session, entries)
        finally:
            session.execute(text(f"DROP TRIGGER {ERASURE_GUARD}"))
            session.execute(text(_sqlite_trigger(NO_UPDATE, f"UPDATE OF "
                                                 f"{', '.join(GUARDED_COLUMNS)}")))
    else:
        _rewrite(session, entries)
    return len(entries)


def _rewrite(session: Session, entries: Mapping[int, tuple[str, dict[str, Any]]]) -> None:
    for entry_id, (actor, details) in entries.items():
        session.execute(update(AuditLog).where(AuditLog.id == entry_id)
                        .values(actor=actor, details=details)
                        .execution_options(synchronize_session=False))
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditLog) and obj.id in entries:
            session.expire(obj)  # loaded copies would still show the old text


for _dialect in ("sqlite", "postgresql"):
    for _sql in guard_statements(_dialect):
        # DDL's __init__ carries no annotations in SQLAlchemy 2.0's stubs.
        _ddl = DDL(_sql).execute_if(dialect=_dialect)  # type: ignore[no-untyped-call]
        event.listen(AuditLog.__table__, "after_create", _ddl)


__all__ = ["install_audit_guard", "purge_audit_log", "remove_audit_guard",
           "rewrite_for_erasure"]
