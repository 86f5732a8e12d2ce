"""Proof: a two-hour session under camera faults (the database outage: ``test_database_outage``).

Simulated time (the worker's FakeClock), a scripted camera (:mod:`.worker_sim`) and a
recogniser that knows the truth, so every figure is exact. Printed with ``-s``, asserted.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, Sighting
from attendance.services.heartbeat import record_heartbeat
from attendance.worker import FakeClock, run_class_session
from tests.conftest import make_settings

from .worker_sim import START, FaultPlan, Room, SimCamera, SimRecognizer, make_room, make_worker

INTERVAL_S = 5.0
#: Every stall must be noticed within this many simulated seconds.
DETECT_WITHIN_S = 20.0


def _visible(room: Room) -> Any:
    """Student k is in the picture during minutes where (minute + k) % 3 != 0."""

    def visible(now: datetime) -> list[int]:
        minute = int((now - START).total_seconds() // 60)
        return [s for k, s in enumerate(room.students) if (minute + k) % 3 != 0]

    return visible


def _stored(factory: sessionmaker[Session], room: Room) -> list[tuple[datetime, int, str]]:
    """(seen at, student, dedupe key) of the session's sightings (the simulation has no
    unknown faces)."""
    with factory() as session:
        return [(s.seen_at, s.student_id or 0, s.dedupe_key or "") for s in session.scalars(
            select(Sighting).where(Sighting.class_session_id == room.session_id))]


def _fault_plan(seed: int, hours: float, drops: int, hangs: int, freezes: int) -> (
    tuple[FaultPlan, dict[str, list[datetime]]]
):
    """The faults at distinct tick instants at least 60 s apart, in random order."""
    rng = random.Random(seed)
    last_tick = int(hours * 3600 / INTERVAL_S) - 40
    slots = list(range(4, last_tick, 12))  # tick numbers 60 s apart, after the first 20 s
    chosen = rng.sample(slots, drops + hangs + freezes)
    kinds = ["no_frame"] * drops + ["hung"] * hangs + ["frozen"] * freezes
    rng.shuffle(kinds)
    plan = FaultPlan()
    when: dict[str, list[datetime]] = {"no_frame": [], "hung": [], "frozen": []}
    for tick, kind in zip(chosen, kinds, strict=True):
        at = START + timedelta(seconds=tick * INTERVAL_S)
        {"no_frame": plan.drops, "hung": plan.hangs, "frozen": plan.freezes}[kind].add(at)
        when[kind].append(at)
    return plan, when


@pytest.mark.parametrize("db_kind", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("hours", "drops", "hangs", "freezes"), [
    (0.5, 12, 3, 2),
    pytest.param(2.0, 50, 10, 5, marks=pytest.mark.slow),
])
def test_session_with_drops_hangs_and_frozen_pictures(
    tmp_path: Path, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
    hours: float, drops: int, hangs: int, freezes: int,
) -> None:
    """The default run is 30 minutes (12 drops, 3 hangs, 2 freezes); ``--slow`` runs the
    full two hours (50 drops, 10 read hangs, 5 frozen pictures)."""
    settings = make_settings(tmp_path, capture_interval_seconds=INTERVAL_S,
                             camera_read_timeout_seconds=0.5, camera_frozen_seconds=15.0,
                             capture_grace_minutes=0, min_sightings=2)
    room = make_room(session_factory, hours=hours)
    clock = FakeClock(START)
    plan, when = _fault_plan(8, hours, drops, hangs, freezes)
    recognizer = SimRecognizer(clock, _visible(room))
    camera = SimCamera(clock, plan)
    flagged: list[tuple[datetime, str]] = []

    def heartbeat(session: Session, camera_id: int, **kwargs: Any) -> None:
        if kwargs.get("error"):
            flagged.append((kwargs["at"], kwargs["error"]))
        record_heartbeat(session, camera_id, **kwargs)

    monkeypatch.setattr("attendance.worker.camera_worker.record_heartbeat", heartbeat)
    worker = make_worker(settings, session_factory, room, clock, recognizer, camera)
    try:
        summary = run_class_session(worker, room.session_id)
    finally:
        plan.release.set()  # let the hung helper threads finish
        worker.close()

    incidents = list(worker.camera.incidents)
    late: list[tuple[str, datetime, float]] = []
    for kind, starts in when.items():
        for start in starts:
            # A freeze begins when the last good frame was taken, one interval earlier.
            begun = start - timedelta(seconds=INTERVAL_S) if kind == "frozen" else start
            noticed = [i.at for i in incidents if i.kind == kind and i.at >= begun]
            delay = (min(noticed) - begun).total_seconds() if noticed else float("inf")
            if delay > DETECT_WITHIN_S:
                late.append((kind, start, delay))
    detected = Counter(i.kind for i in incidents)
    stored = _stored(session_factory, room)
    produced = Counter(recognizer.produced)
    kept = Counter((at, student) for at, student, _ in stored)
    lost = (produced - kept).total()
    duplicated = (kept - produced).total() + len(stored) - len({k for *_, k in stored})
    print(f"\n[trust] {hours:g}-hour session: {summary.ticks} ticks, {summary.frames} frames; "
          f"faults {drops} drops / {hangs} hangs / {freezes} freezes -> detected "
          f"{dict(detected)} (a spurious hang is a slow read under load), detected late "
          f"{len(late)}, worst delay {_worst(when, incidents):.0f} s; crashes 0; sightings "
          f"produced {sum(produced.values())}, stored {len(stored)}, lost {lost}, duplicated "
          f"{duplicated}; heartbeats flagging an outage {len(flagged)}")
    assert summary.ticks >= hours * 3600 / INTERVAL_S
    assert detected["no_frame"] == drops
    assert detected["hung"] >= hangs
    assert detected["frozen"] == freezes
    assert late == []
    assert (lost, duplicated) == (0, 0)
    assert len(flagged) >= drops + hangs + freezes
    with session_factory() as session:
        records = list(session.scalars(select(AttendanceRecord).where(
            AttendanceRecord.class_session_id == room.session_id)))
    assert len(records) == len({r.student_id for r in records}) == len(room.students)


def _worst(when: dict[str, list[datetime]], incidents: list[Any]) -> float:
    worst = 0.0
    for kind, starts in when.items():
        for start in starts:
            begun = start - timedelta(seconds=INTERVAL_S) if kind == "frozen" else start
            noticed = [i.at for i in incidents if i.kind == kind and i.at >= begun]
            if noticed:
                worst = max(worst, (min(noticed) - begun).total_seconds())
    return worst
