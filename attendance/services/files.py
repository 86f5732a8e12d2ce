"""Files that follow a database transaction: deleted only once the deleting rows are committed.

A file can not be rolled back, so a service that deletes rows describing files (photos,
thumbnails) hands the paths to :func:`delete_after_commit`: they are unlinked after the
session's outermost transaction commits, and forgotten if it rolls back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

logger = logging.getLogger(__name__)

_PENDING = "attendance.files_to_delete"
_HOOKED = "attendance.files_to_delete_hooked"


def delete_after_commit(session: Session, paths: Iterable[Path]) -> None:
    """Unlink ``paths`` after the outermost transaction of ``session`` commits."""
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
        session.info[_HOOKED] = True
    pending: list[Path] = session.info.setdefault(_PENDING, [])
    pending.extend(paths)


def remove_file(path: Path) -> bool:
    """Unlink ``path`` and, when it is now empty, its folder; False if it was not there."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        logger.exception("could not delete %s; remove it by hand", path)
        return False
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # only succeeds when the folder is now empty
    return True


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released; the outer transaction may still roll back
    for path in session.info.get(_PENDING, []):
        remove_file(path)
    session.info[_PENDING] = []


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended; after a rollback the rows still exist: keep the files.
    if transaction.parent is None:
        session.info[_PENDING] = []


__all__ = ["delete_after_commit", "remove_file"]
