"""Proof: camera workers and the dashboard writing at the same time.

Two workers on SQLite (four on PostgreSQL) record sightings of the same pupils, who are on
every room's roster, while the dashboard (Flask test clients in threads) overrides marks and
reads the session pages. Afterwards: no (session, student) has two records, nobody saw
"database is locked", and every override is still what the teacher set last.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AttendanceRecord, Student
from attendance.services.roster import add_to_roster
from attendance.worker import FakeClock, run_class_session
from tests.conftest import make_settings

from .conftest import RandomEmbedder  # noqa: F401  (the app fixture uses it)
from .worker_sim import START, SimCamera, SimRecognizer, make_room, make_worker

STATUSES = ("present", "late", "absent", "excused")


def _web_editor(app: Flask, targets: list[tuple[int, int]], stop: threading.Event, seed: int,
                last: dict[tuple[int, int], str], problems: list[str],
                lock: threading.Lock) -> None:
    rng = random.Random(seed)
    client = app.test_client()
    client.post("/auth/login", data={"username": "admin", "password": _password()})
    while not stop.is_set():
        session_id, student_id = rng.choice(targets)
        status = rng.choice(STATUSES)
        with lock:  # the order of the overrides of one pair is the order they are recorded
            response = client.post(
                f"/sessions/{session_id}/students/{student_id}/override",
                data={f"s{student_id}-status": status, f"s{student_id}-reason": "concurrency"})
            if response.status_code == 302:
                last[(session_id, student_id)] = status
        page = client.get(f"/sessions/{session_id}")
        for answer in (response, page):
            text = answer.get_data(as_text=True)
            if answer.status_code >= 500 or "database is locked" in text:
                problems.append(f"{answer.status_code} {answer.request.path}")
        if response.status_code != 302:
            problems.append(f"override answered {response.status_code}")


def _password() -> str:
    from tests.webui.conftest import PASSWORD

    return PASSWORD


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("seconds", [8.0, pytest.param(180.0, marks=pytest.mark.slow)])
def test_workers_and_dashboard_writing_at_once(
    tmp_path: Path, app: Flask, people: Any, db_kind: str,
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture, seconds: float,
) -> None:
    workers_n = 2 if db_kind == "sqlite" else 4
    settings = make_settings(tmp_path, capture_interval_seconds=5.0, capture_grace_minutes=0,
                             min_sightings=2)
    rooms = [make_room(session_factory, name=f"room-{i}", hours=8.0) for i in range(workers_n)]
    with session_factory.begin() as session:  # every pupil on every room's roster
        everyone = list(session.scalars(select(Student.id)))
        for room in rooms:
            add_to_roster(session, room.course_id,
                          student_ids=[s for s in everyone if s not in room.students])
            room.students = everyone
    stop = threading.Event()
    threads: list[threading.Thread] = []
    workers = []
    recognizers = []

    def everybody(_now: object) -> list[int]:
        return everyone

    for room in rooms:
        clock = FakeClock(START)
        recognizer = SimRecognizer(clock, everybody)
        recognizers.append(recognizer)
        worker = make_worker(settings, session_factory, room, clock, recognizer,
                             SimCamera(clock))
        workers.append(worker)
        threads.append(threading.Thread(target=run_class_session, args=(worker, room.session_id),
                                        kwargs={"stop": stop, "finalize": False}))
    targets = [(room.session_id, s) for room in rooms for s in everyone[:4]]
    last: dict[tuple[int, int], str] = {}
    problems: list[str] = []
    lock = threading.Lock()
    threads += [threading.Thread(target=_web_editor,
                                 args=(app, targets, stop, seed, last, problems, lock))
                for seed in range(2)]
    caplog.set_level(logging.WARNING)
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.close()
    assert not any(thread.is_alive() for thread in threads)

    locked_logs = sum("database is locked" in r.getMessage() for r in caplog.records)
    with session_factory() as session:
        duplicate_pairs = session.execute(
            select(AttendanceRecord.class_session_id, AttendanceRecord.student_id)
            .group_by(AttendanceRecord.class_session_id, AttendanceRecord.student_id)
            .having(func.count() > 1)).all()
        final = {(r.class_session_id, r.student_id): (r.status, r.source)
                 for r in session.scalars(select(AttendanceRecord))}
        records = len(final)
    reverted = [pair for pair, status in last.items() if final.get(pair) != (status, "manual")]
    sightings = sum(len(r.produced) for r in recognizers)
    print(f"\n[trust] concurrency ({db_kind}, {workers_n} workers + 2 dashboard users, "
          f"{seconds:g} s): sightings {sightings}, overrides {len(last)} pairs, records "
          f"{records}; duplicate records {len(duplicate_pairs)}, 'database is locked' shown "
          f"{len(problems)} / logged {locked_logs}, overrides reverted {len(reverted)}")
    assert sightings > 0
    assert len(last) > 0
    assert duplicate_pairs == []
    assert problems == []
    assert locked_logs == 0
    assert reverted == []
