"""A bounded in-memory spool of sightings waiting to be written.

Every sighting gets a ``dedupe_key`` (a UUID) when it is made, so writing it again after a
lost commit acknowledgement is a no-op in :func:`attendance.services.sightings.record_sighting`.
When the database is unreachable the spool keeps the sightings (oldest dropped first when
full, with a warning) and the next flush writes them, in order, in one transaction.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models import Box

from ..errors import AttendanceError, PermissionDenied
from ..services.cameras import session_camera_id
from ..services.review import suppressed_students
from ..services.sightings import record_sighting
from ..services.unsure import model_evidence, unsure

logger = logging.getLogger(__name__)

#: Sightings written per transaction when catching up after an outage.
FLUSH_BATCH = 500


@dataclass(frozen=True)
class PendingSighting:
    """A sighting made by the worker and not yet stored."""

    class_session_id: int
    student_id: int | None
    seen_at: datetime
    box: Box
    evidence: dict[str, Any]
    camera_id: int | None
    dedupe_key: str


def new_dedupe_key() -> str:
    """A fresh idempotency key (32 hex characters)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class FlushResult:
    written: int
    duplicates: int
    dropped: int
    pending: int
    #: Why the database could not be reached, or None when the flush got through.
    db_error: str | None


def is_connection_error(exc: BaseException) -> bool:
    """True for failures that mean "database unreachable, try again later"."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class SightingSpool:
    """FIFO of :class:`PendingSighting`, at most ``capacity`` long; thread-safe."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("spool capacity must be at least 1")
        self._items: deque[PendingSighting] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.dropped_total = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def add(self, item: PendingSighting) -> None:
        """Queue ``item``; when full the oldest sighting is dropped (and counted)."""
        with self._lock:
            if len(self._items) >= self._capacity:
                lost = self._items.popleft()
                self.dropped_total += 1
                logger.warning(
                    "sighting spool full (%d): dropped sighting %s of %s",
                    self._capacity,
                    lost.dedupe_key,
                    lost.seen_at.isoformat(),
                )
            self._items.append(item)

    def flush(
        self,
        factory: sessionmaker[Session] | Callable[[], Session],
        *,
        min_sightings: int,
        on_written: Callable[[PendingSighting, bool], None] | None = None,
    ) -> FlushResult:
        """Write queued sightings, ``FLUSH_BATCH`` per transaction, until empty or the
        database fails. ``on_written(item, duplicate)`` is called after each commit."""
        written = duplicates = dropped = 0
        size = FLUSH_BATCH
        with self._flush_lock:
            while True:
                with self._lock:
                    batch = list(self._items)[:size]
                if not batch:
                    return FlushResult(written, duplicates, dropped, 0, None)
                try:
                    outcomes = _write_batch(factory, batch, min_sightings)
                except Exception as exc:
                    if is_connection_error(exc):
                        logger.warning(
                            "database unreachable, %d sighting(s) kept in the spool: %s",
                            len(self),
                            _short(exc),
                        )
                        return FlushResult(written, duplicates, dropped, len(self), _short(exc))
                    if len(batch) > 1:  # find the poisoned one: retry one per transaction
                        size = 1
                        continue
                    logger.exception("sighting %s cannot be stored, dropped", batch[0].dedupe_key)
                    outcomes = [None]
                self._remove(batch)
                for item, outcome in zip(batch, outcomes, strict=True):
                    if outcome is None:
                        dropped += 1
                        continue
                    written += not outcome
                    duplicates += outcome
                    if on_written is not None:
                        on_written(item, outcome)

    def _remove(self, batch: list[PendingSighting]) -> None:
        with self._lock:
            for item in batch:
                if self._items and self._items[0] is item:
                    self._items.popleft()


def _write_batch(
    factory: sessionmaker[Session] | Callable[[], Session],
    batch: list[PendingSighting],
    min_sightings: int,
) -> list[bool | None]:
    """Write ``batch`` in one transaction. Per item: False written, True already stored,
    None refused (a domain error such as a student taken off the roster: logged, dropped)."""
    outcomes: list[bool | None] = []
    suppressed: dict[int, frozenset[int]] = {}
    cameras: dict[int, int | None] = {}
    session = factory()
    try:
        with session.begin():
            for item in batch:
                try:
                    with session.begin_nested():
                        _check_camera(session, item, cameras)
                        outcome = record_sighting(
                            session,
                            class_session_id=item.class_session_id,
                            student_id=_counted_student(session, item, suppressed),
                            seen_at=item.seen_at,
                            box=item.box,
                            evidence=item.evidence,
                            camera_id=item.camera_id,
                            dedupe_key=item.dedupe_key,
                            min_sightings=min_sightings,
                        )
                    outcomes.append(outcome.duplicate)
                except AttendanceError as exc:
                    logger.warning("sighting %s refused, dropped: %s", item.dedupe_key, exc)
                    outcomes.append(None)
    finally:
        session.close()
    return outcomes


def _check_camera(
    session: Session, item: PendingSighting, cache: dict[int, int | None]
) -> None:
    """A worker writes only for sessions of its own camera's course: a sighting made by
    camera A for a session filmed by camera B raises :class:`PermissionDenied`."""
    if item.camera_id is None:
        return
    if item.class_session_id not in cache:
        cache[item.class_session_id] = session_camera_id(session, item.class_session_id)
    if cache[item.class_session_id] != item.camera_id:
        raise PermissionDenied(
            f"camera {item.camera_id} may not write to class session {item.class_session_id}, "
            "which another camera films"
        )


def _counted_student(
    session: Session, item: PendingSighting, cache: dict[int, frozenset[int]]
) -> int | None:
    """The student the sighting counts for: None when a teacher said "not X" for this
    session and the recogniser was unsure again (it then waits in the review queue)."""
    if item.student_id is None:
        return None
    if item.class_session_id not in cache:
        cache[item.class_session_id] = suppressed_students(session, item.class_session_id)
    if item.student_id in cache[item.class_session_id] and unsure(
        model_evidence(item.evidence), item.student_id
    ):
        return None
    return item.student_id


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


__all__ = [
    "FlushResult",
    "PendingSighting",
    "SightingSpool",
    "is_connection_error",
    "new_dedupe_key",
]
