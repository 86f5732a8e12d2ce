"""Where a class session stands, student by student and in counts: present, late, not seen
yet, and who cannot be recognised at all.

While a session runs, a student the camera saw fewer than ``min_sightings`` times has an
automatic "absent" record that is not a verdict yet; such a record, like no record at all,
counts as **not seen yet** until the session is finalised. Absent means a teacher's mark, or
the camera's after finalisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..db import Source, Status
from .rates import RateFigures, rate_figures
from .reports import ReportRow


def live_status(row: ReportRow, finalized: bool) -> str | None:
    """The student's mark as it stands: a status, or None while not seen yet."""
    if row.status == Status.ABSENT.value and row.source == Source.AUTO.value and not finalized:
        return None
    return row.status


@dataclass(frozen=True)
class SessionCounts:
    """Counts of one class session's students (roster plus anyone with a record)."""

    students: int
    present: int
    late: int
    excused: int
    absent: int
    not_seen: int
    #: Students the camera cannot recognise (see ``recognisability``), and how many of
    #: them are among those not seen yet (they will stay so unless marked by hand).
    unrecognisable: int
    unrecognisable_unseen: int
    #: The rate over recorded students, and what it leaves out.
    figures: RateFigures


def session_counts(rows: Sequence[ReportRow], finalized: bool,
                   obstacles: Mapping[int, Sequence[str]]) -> SessionCounts:
    """Counts of ``rows`` (``attendance.services.reports.session_report``); ``finalized``:
    the session was closed; ``obstacles``: per unrecognisable student, why."""
    statuses = [live_status(r, finalized) for r in rows]
    by = {s: statuses.count(s.value) for s in Status}
    unseen_blocked = sum(1 for r, s in zip(rows, statuses, strict=True)
                         if s is None and r.student_id in obstacles)
    return SessionCounts(
        students=len(rows), present=by[Status.PRESENT], late=by[Status.LATE],
        excused=by[Status.EXCUSED], absent=by[Status.ABSENT],
        not_seen=statuses.count(None),
        unrecognisable=sum(1 for r in rows if r.student_id in obstacles),
        unrecognisable_unseen=unseen_blocked, figures=rate_figures(statuses),
    )


__all__ = ["SessionCounts", "live_status", "session_counts"]
