"""In-memory login throttling, per account and per client address.

:class:`LoginLimits` refuses a sign-in while the *account* has had
:data:`ACCOUNT_MAX_FAILURES` failures in the window (from anywhere: guessing spread over many
addresses is stopped too), or while the *address* has had :data:`ADDRESS_MAX_FAILURES` (one
place trying many accounts). The price of the per-account limit is that an attacker can pause
sign-in to one account for :data:`WINDOW_SECONDS`; it never reveals or weakens the password.

Per process only (a restart forgets, several processes count separately).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

#: Failures allowed within the window before further attempts are refused.
MAX_FAILURES = 5
#: Failed sign-ins to one account, from any address, before it is paused.
ACCOUNT_MAX_FAILURES = 5
#: Failed sign-ins from one address, to any accounts, before it is paused.
ADDRESS_MAX_FAILURES = 20
#: Length of the sliding window, seconds.
WINDOW_SECONDS = 900.0
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


class LoginLimits:
    """The two sign-in limits: per account (any address) and per client address."""

    def __init__(
        self,
        *,
        account_max: int = ACCOUNT_MAX_FAILURES,
        address_max: int = ADDRESS_MAX_FAILURES,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts = LoginThrottle(account_max, window_seconds, clock)
        self.addresses = LoginThrottle(address_max, window_seconds, clock)

    @staticmethod
    def _keys(address: str | None, username: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("account", username.strip().casefold()), ("address", address or "unknown")

    def is_blocked(self, address: str | None, username: str) -> bool:
        """True while either the account or the address is over its limit."""
        account, place = self._keys(address, username)
        return self.accounts.is_blocked(account) or self.addresses.is_blocked(place)

    def record_failure(self, address: str | None, username: str) -> None:
        account, place = self._keys(address, username)
        self.accounts.record_failure(account)
        self.addresses.record_failure(place)

    def record_success(self, address: str | None, username: str) -> None:
        """Forget the account's failures; the address keeps its count (one good account
        must not let an address go on guessing others)."""
        account, _ = self._keys(address, username)
        self.accounts.reset(account)
