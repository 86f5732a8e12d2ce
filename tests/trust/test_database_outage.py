"""Proof: the database really goes away for ten minutes mid-session, and nothing is lost or
written twice.

Two real outages (:mod:`tests.outages`): a PostgreSQL server of the test's own is stopped with
``pg_ctl stop`` and started again, and another process holds a SQLite file's write lock. The
default runs on the worker's simulated clock (a one-hour session, the database down from
minute 20 to 30 of it: really down while the worker makes those 60 captures); ``--slow``
runs the same on the wall clock, the database down for ten real minutes, the outage starting
and ending at moments unrelated to the worker's captures (so also in the middle of a write).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, Sighting, make_engine, make_session_factory
from attendance.services.heartbeat import record_heartbeat
from attendance.worker import Clock, FakeClock, SystemClock, run_class_session
from tests.conftest import make_settings
from tests.outages import OutageDatabase

from .worker_sim import START, Room, SimCamera, SimRecognizer, make_room, make_worker

#: Seconds between captures: 60 of them fall in the ten minutes down.
INTERVAL_S = 10.0
#: A worker waits this long for SQLite's lock before it keeps its sightings for later.
BUSY_TIMEOUT_S = 0.02


def _visible(room: Room, start: datetime) -> Callable[[datetime], list[int]]:
    """Student k is in the picture during minutes where (minute + k) % 3 != 0."""

    def visible(now: datetime) -> list[int]:
        minute = int((now - start).total_seconds() // 60)
        return [s for k, s in enumerate(room.students) if (minute + k) % 3 != 0]

    return visible


def _tally(factory: sessionmaker[Session], room: Room, recognizer: SimRecognizer) -> (
    dict[str, int]
):
    """Sightings produced by the recogniser against those stored, and the records' counts.

    A stored sighting is stamped with the worker's time of the capture and the recogniser
    notes its own a moment later (the same instant on the simulated clock, milliseconds
    later on the wall clock), so the two are paired per student within one second."""
    with factory() as session:
        stored = [(s.seen_at, s.student_id or 0, s.dedupe_key or "") for s in session.scalars(
            select(Sighting).where(Sighting.class_session_id == room.session_id))]
        counts = {r.student_id: r.sightings_count for r in session.scalars(
            select(AttendanceRecord).where(AttendanceRecord.class_session_id == room.session_id))}
        records = len(list(session.scalars(select(AttendanceRecord.id).where(
            AttendanceRecord.class_session_id == room.session_id))))
    lost = duplicated = 0
    for student in room.students:
        made = sorted(at for at, who in recognizer.produced if who == student)
        kept = sorted(at for at, who, _ in stored if who == student)
        paired = _paired(made, kept, timedelta(seconds=1))
        lost += len(made) - paired
        duplicated += len(kept) - paired
    truth = Counter(student for _, student in recognizer.produced)
    return {
        "produced": len(recognizer.produced),
        "stored": len(stored),
        "lost": lost,
        "duplicated": duplicated + len(stored) - len({k for *_, k in stored}),
        "miscounted": sum(1 for s in room.students if counts.get(s, 0) != truth[s]),
        "duplicate_records": records - len(counts),
    }


def _paired(made: list[datetime], kept: list[datetime], within: timedelta) -> int:
    """How many of the sorted instants ``made`` have their own partner in ``kept``."""
    i = j = paired = 0
    while i < len(made) and j < len(kept):
        if abs(made[i] - kept[j]) <= within:
            paired, i, j = paired + 1, i + 1, j + 1
        elif made[i] < kept[j]:
            i += 1
        else:
            j += 1
    return paired


def _run(outage_db: OutageDatabase, tmp_path: Path, clock: Clock, start: datetime,
         hours: float, during: Callable[[Any], None], monkeypatch: pytest.MonkeyPatch) -> (
    tuple[dict[str, int], int, str]
):
    """One session of ``hours`` on ``outage_db``; ``during(worker)`` arranges the outage.
    Returns the tally, the spool's peak and the first outage error a heartbeat stored."""
    engine = make_engine(outage_db.url, busy_timeout_s=BUSY_TIMEOUT_S)
    factory = make_session_factory(engine)
    settings = make_settings(tmp_path, capture_interval_seconds=INTERVAL_S,
                             capture_grace_minutes=0, min_sightings=2)
    room = make_room(factory, start=start, hours=hours)
    recognizer = SimRecognizer(clock, _visible(room, start))
    worker = make_worker(settings, factory, room, clock, recognizer, SimCamera(clock))
    reported: list[str] = []

    def heartbeat(session: Session, camera_id: int, **kwargs: Any) -> None:
        record_heartbeat(session, camera_id, **kwargs)
        if "database unreachable" in (kwargs.get("error") or ""):
            reported.append(kwargs["error"])  # stored: the dashboard shows it

    monkeypatch.setattr("attendance.worker.camera_worker.record_heartbeat", heartbeat)
    peak = 0
    original_tick = worker.tick

    def tick(class_session_id: int) -> Any:
        nonlocal peak
        report = original_tick(class_session_id)
        peak = max(peak, len(worker.spool))
        return report

    worker.tick = tick  # type: ignore[method-assign]
    during(worker)
    summary = run_class_session(worker, room.session_id)
    worker.close()
    assert not outage_db.down, "the outage outlasted the session"
    assert summary.absences is not None, "the session was not finalised"
    tally = _tally(factory, room, recognizer)
    engine.dispose()
    return tally, peak, reported[0] if reported else ""


def test_database_down_for_ten_minutes_mid_session(
    outage_db: OutageDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Simulated clock: down (for real) from minute 20 to 30 of a one-hour session."""
    clock = FakeClock(START)
    down_from, down_until = START + timedelta(minutes=20), START + timedelta(minutes=30)
    ticks_down = 0

    def during(worker: Any) -> None:
        original_tick = worker.tick

        def tick(class_session_id: int) -> Any:
            nonlocal ticks_down
            now = clock.now()
            if down_from <= now < down_until and not outage_db.down:
                outage_db.go_down()
            elif now >= down_until and outage_db.down:
                outage_db.come_back()
            ticks_down += outage_db.down
            return original_tick(class_session_id)

        worker.tick = tick

    tally, peak, error = _run(outage_db, tmp_path, clock, START, 1.0, during, monkeypatch)
    print(f"\n[trust] database down 10 min ({outage_db.how}, simulated clock): "
          f"{ticks_down} captures while down, peak spool {peak}, sightings produced "
          f"{tally['produced']}, stored {tally['stored']}, lost {tally['lost']}, duplicated "
          f"{tally['duplicated']}, miscounted records {tally['miscounted']}, duplicate "
          f"records {tally['duplicate_records']}; heartbeat said: {error[:90]}")
    assert ticks_down == 10 * 60 / INTERVAL_S
    assert peak >= 200  # ten minutes of sightings (4 faces a capture) waited in the spool
    assert error, "the outage was never reported in the camera's heartbeat"
    assert tally["produced"] > 0
    assert (tally["lost"], tally["duplicated"], tally["miscounted"],
            tally["duplicate_records"]) == (0, 0, 0, 0)


#: The wall-clock run: a 14-minute session, the database down from 2:00 to 12:00.
REAL_SESSION_MIN, REAL_DOWN_FROM_S, REAL_DOWN_FOR_S = 14, 120.0, 600.0


@pytest.mark.slow
def test_database_down_for_ten_real_minutes(
    outage_db: OutageDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wall clock: the outage starts and ends on a timer of its own, whatever the worker is
    doing at that moment (reading the roster, committing sightings, finalising)."""
    clock = SystemClock()
    start = clock.now()
    timers: list[threading.Timer] = []

    def during(_worker: Any) -> None:
        timers.extend([threading.Timer(REAL_DOWN_FROM_S, outage_db.go_down),
                       threading.Timer(REAL_DOWN_FROM_S + REAL_DOWN_FOR_S, outage_db.come_back)])
        for timer in timers:
            timer.start()

    began = time.monotonic()
    try:
        tally, peak, error = _run(outage_db, tmp_path, clock, start, REAL_SESSION_MIN / 60,
                                  during, monkeypatch)
    finally:
        for timer in timers:
            timer.cancel()
            timer.join()
    print(f"\n[trust] database down 10 real minutes ({outage_db.how}, wall clock, "
          f"{time.monotonic() - began:.0f} s run): peak spool {peak}, sightings produced "
          f"{tally['produced']}, stored {tally['stored']}, lost {tally['lost']}, duplicated "
          f"{tally['duplicated']}, miscounted records {tally['miscounted']}, duplicate "
          f"records {tally['duplicate_records']}; heartbeat said: {error[:90]}")
    assert peak >= 200
    assert error
    assert (tally["lost"], tally["duplicated"], tally["miscounted"],
            tally["duplicate_records"]) == (0, 0, 0, 0)
