"""Time for the worker, injectable: the real clock, or a fake one tests move by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the worker gets the time and how it waits."""

    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Wait ``seconds`` (or until ``stop`` is set); True when ``stop`` is set."""
        ...


class SystemClock:
    """The wall clock; waiting is interruptible by the stop event."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told: :meth:`wait` advances it instantly."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        with self._lock:
            self._now += timedelta(seconds=max(0.0, seconds))

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        self.advance(seconds)
        return stop.is_set()


__all__ = ["Clock", "FakeClock", "SystemClock"]
