"""A camera whose picture freezes (the same frame again and again) is a stall: detected and
reconnected, while a still scene from a live sensor (frames that differ) is not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from attendance.worker.frames import FROZEN_MIN_REPEATS, CameraSupervisor

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


class _Frozen:
    """Returns new frames until ``freeze_after`` reads, then the last one for ever."""

    description = "frozen test source"

    def __init__(self, freeze_after: int) -> None:
        self.freeze_after, self.reads = freeze_after, 0
        self.last: NDArray[np.uint8] | None = None

    def open(self) -> None:
        pass

    def read(self) -> NDArray[np.uint8] | None:
        self.reads += 1
        if self.last is None or self.reads <= self.freeze_after:
            self.last = np.full((32, 32, 3), 100, dtype=np.uint8)
            self.last[0, 0, 0] = self.reads  # each live frame differs
        return self.last.copy()

    def close(self) -> None:
        pass


def _supervisor(sources: list[_Frozen], errors: list[str]) -> CameraSupervisor:
    feed = iter(sources)
    return CameraSupervisor(lambda: next(feed), frozen_after_s=15.0, on_error=errors.append)


def test_a_frozen_picture_is_detected_within_twenty_seconds_and_reconnected() -> None:
    errors: list[str] = []
    camera = _supervisor([_Frozen(freeze_after=4), _Frozen(freeze_after=1000)], errors)
    good = [camera.read(T0 + timedelta(seconds=5 * i)) is not None for i in range(4)]
    assert all(good)
    # From the 5th read on (t = 20 s) the source repeats the frame taken at t = 15 s.
    results = [(5 * i, camera.read(T0 + timedelta(seconds=5 * i))) for i in range(4, 12)]
    stalled_at = next(t for t, frame in results if frame is None)
    assert stalled_at - 15 <= 20
    assert camera.counts["frozen"] == 1
    assert "frozen" in errors[-1]
    assert camera.incidents[-1].kind == "frozen"
    # After the backoff a fresh source delivers live frames again.
    later = [camera.read(T0 + timedelta(seconds=5 * i)) for i in range(12, 20)]
    assert sum(frame is not None for frame in later) >= len(later) - 1
    assert camera.counts["frozen"] == 1


def test_changing_frames_and_short_repeats_are_not_a_stall() -> None:
    errors: list[str] = []
    camera = _supervisor([_Frozen(freeze_after=10_000)], errors)
    assert all(camera.read(T0 + timedelta(seconds=30 * i)) is not None for i in range(50))
    assert errors == []
    # Each frame read twice, 30 s apart (a slow interval over a still video): not frozen,
    # since at least FROZEN_MIN_REPEATS identical reads are needed.
    pairs = _Pairs()
    slow = CameraSupervisor(lambda: pairs, frozen_after_s=15.0, on_error=errors.append)
    assert all(slow.read(T0 + timedelta(seconds=30 * i)) is not None for i in range(40))
    assert FROZEN_MIN_REPEATS == 3
    assert errors == []


class _Pairs(_Frozen):
    """Every frame twice in a row."""

    def __init__(self) -> None:
        super().__init__(freeze_after=0)

    def read(self) -> NDArray[np.uint8] | None:
        self.reads += 1
        frame = np.full((32, 32, 3), 100, dtype=np.uint8)
        frame[0, 0, 0] = (self.reads + 1) // 2
        return frame


def test_frozen_check_is_off_without_a_limit() -> None:
    source = _Frozen(freeze_after=1)
    camera = CameraSupervisor(lambda: source)
    assert all(camera.read(T0 + timedelta(seconds=60 * i)) is not None for i in range(10))
