"""In-memory login throttling: too many failures for one (client address, username) pause it.

Per process only (a restart forgets, several processes count separately): it slows down
guessing from one place without any storage. Lock-out is keyed by address *and* username so
one attacker cannot lock a teacher out from everywhere.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Failures allowed within the window before further attempts are refused.
MAX_FAILURES = 5
#: Length of the sliding window, seconds.
WINDOW_SECONDS = 300.0
#: Beyond this many tracked keys, expired ones are dropped (bounds memory under attack).
_PRUNE_ABOVE = 10_000


class LoginThrottle:
    """Counts failed sign-ins per key in a sliding window. Thread-safe."""

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(address: str | None, username: str) -> tuple[str, str]:
        return (address or "unknown", username.strip().casefold())

    def is_blocked(self, key: tuple[str, str]) -> bool:
        """True while ``key`` has ``max_failures`` failures inside the window."""
        with self._lock:
            return len(self._recent(key)) >= self.max_failures

    def record_failure(self, key: tuple[str, str]) -> None:
        with self._lock:
            if len(self._failures) > _PRUNE_ABOVE:
                self._prune()
            self._failures.setdefault(key, deque()).append(self._clock())

    def reset(self, key: tuple[str, str]) -> None:
        """Forget ``key``'s failures (after a successful sign-in)."""
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        stamps = self._failures.get(key, deque())
        horizon = self._clock() - self.window_seconds
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return stamps

    def _prune(self) -> None:
        for key in list(self._failures):
            if not self._recent(key):
                del self._failures[key]
