"""Attendance rates that say what they leave out.

Rate = (present + late) / (present + late + absent): the share of *recorded* marks that are
attendances. Excused marks and students without a mark ("not recorded", e.g. not seen yet
in a running session) are left out of both counts, so "100 %" with 3 of 7 students not seen
yet is honest only when it says so: :meth:`RateFigures.summary` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..db import Status

ATTENDED = frozenset({Status.PRESENT.value, Status.LATE.value})
COUNTED = ATTENDED | {Status.ABSENT.value}


@dataclass(frozen=True)
class RateFigures:
    """A rate with its denominators: ``attended`` of ``recorded`` marks, and what it leaves
    out: ``excused`` marks and ``unrecorded`` students (no mark at all)."""

    attended: int = 0
    recorded: int = 0
    excused: int = 0
    unrecorded: int = 0

    @property
    def rate(self) -> float | None:
        """Share (0-1) of recorded marks that are present or late; None with none recorded."""
        return self.attended / self.recorded if self.recorded else None

    @property
    def left_out(self) -> str:
        """What the rate leaves out, in words ("3 not recorded yet, 1 excused"); "" for
        nothing."""
        parts = []
        if self.unrecorded:
            parts.append(f"{self.unrecorded} not recorded yet")
        if self.excused:
            parts.append(f"{self.excused} excused")
        return ", ".join(parts)

    def summary(self, unit: str = "marks") -> str:
        """The rate's basis in words, e.g. "rate over 4 recorded marks; left out: 3 not
        recorded yet" (``unit``: what is counted, "marks" or "students")."""
        noun = unit.removesuffix("s") if self.recorded == 1 else unit
        basis = f"rate over {self.recorded} recorded {noun}"
        return f"{basis}; left out: {self.left_out}" if self.left_out else basis


def rate_figures(statuses: Iterable[str | None]) -> RateFigures:
    """The :class:`RateFigures` of a list of marks (None: not recorded)."""
    counts = Counter(statuses)
    attended = sum(counts[s] for s in ATTENDED)
    return RateFigures(attended=attended, recorded=attended + counts[Status.ABSENT.value],
                       excused=counts[Status.EXCUSED.value], unrecorded=counts[None])


__all__ = ["ATTENDED", "COUNTED", "RateFigures", "rate_figures"]
