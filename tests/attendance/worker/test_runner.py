"""The composition roots: ``attendance worker``, the embedded worker, metrics, ``bench``."""

from __future__ import annotations

import os
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from attendance.config import Settings
from attendance.db import Camera, make_engine
from attendance.services.camera_changes import remove_camera, update_camera
from attendance.services.cameras import create_camera, issue_camera_token
from attendance.services.courses import create_course
from attendance.services.heartbeat import record_heartbeat
from attendance.worker import run_worker, start_worker_processes
from attendance.worker.runner import worker_engine
from tests.attendance.cli_helpers import make_cli
from tests.conftest import make_settings
from tests.outages import free_port


def test_worker_command_refuses_an_unknown_camera(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    result = cli("worker", "--camera", "nowhere")
    assert result.exit_code == 1
    assert "no camera named 'nowhere'" in result.output


def test_worker_runs_serves_metrics_and_stops_on_request(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        create_camera(session, name="room-1", source=str(tmp_path / "missing.avi"))
        token = issue_camera_token(session, "room-1")
    port = free_port()
    settings = make_settings(tmp_path, database_url=cli.database_url, metrics_port=port,
                             worker_token=token,
                             worker_refresh_seconds=1.0)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings, "room-1", stop))
    thread.start()
    try:
        body = ""
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert "attendance_frames_total" in body
        assert "attendance_stage_seconds" in body
        assert "attendance_spooled_sightings" in body
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()


def test_serve_workers_are_child_processes_that_stop_with_it(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        create_camera(session, name="room-2", source="0")
        create_course(session, code="C2", name="Two", timezone="UTC", camera_name="room-2")
    settings = make_settings(tmp_path, database_url=cli.database_url,
                             worker_refresh_seconds=1.0)
    env = {**os.environ, "ATTENDANCE_INSTANCE_PATH": str(cli.instance),
           "ATTENDANCE_DATABASE_URL": cli.database_url, "ATTENDANCE_WORKER_REFRESH_SECONDS": "1"}
    supervisor = start_worker_processes(settings, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with cli.session() as session:  # the child's refresh stamps a heartbeat
                if session.scalars(select(Camera)).one().last_heartbeat_at is not None:
                    break
            time.sleep(0.2)
        (state,) = supervisor.states()
        assert (state.camera, state.status) == ("room-2", "running")
        assert state.pid is not None
        assert state.pid != os.getpid()
    finally:
        supervisor.stop()
    (state,) = supervisor.states()
    assert state.status == "stopped"
    assert state.last_exit == "exited with code 0"  # SIGTERM: a clean stop
    with cli.session() as session:
        assert session.scalars(select(Camera)).one().last_heartbeat_at is not None


def test_heartbeat_adds_counters_and_keeps_the_last_error(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    from datetime import UTC, datetime

    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with cli.session() as session, session.begin():
        camera = create_camera(session, name="room-3", source="0")
        assert record_heartbeat(session, camera.id, at=at, frames=2, faces=3, error="boom")
        assert record_heartbeat(session, camera.id, at=at, frames=1, faces=0, last_frame_at=at)
        assert not record_heartbeat(session, camera.id + 99, at=at)
    with cli.session() as session:
        row = session.scalars(select(Camera)).one()
        assert (row.frames_processed, row.faces_seen, row.last_error) == (3, 3, "boom")
        assert row.last_frame_at == at


def test_bench_worker_smoke(tmp_path: Path, lfw_dir: Path) -> None:
    cli = make_cli(tmp_path)
    result = cli("bench", "worker", "--lfw-dir", str(lfw_dir), "--faces", "1",
                 "--repeats", "1", "--size", "320x240")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "detect" in lines[1]
    assert lines[2].split()[:2] == ["1", "1"]


def test_thumbnails_are_small_face_crops_and_expire(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    import numpy as np

    from attendance.worker.thumbnails import purge, save_thumbnail

    frame = np.full((400, 600, 3), 128, dtype=np.uint8)
    seen = datetime(2026, 3, 2, 10, tzinfo=UTC)
    path = save_thumbnail(tmp_path, seen, "k1", frame, (100, 300, 300, 100))
    assert path == tmp_path / "thumbnails" / "2026-03-02" / "k1.jpg"
    assert path.is_file()
    assert save_thumbnail(tmp_path, seen, "k2", frame, (10, 10, 10, 10)) is None
    assert purge(tmp_path, date(2026, 3, 31), 30) == 0
    assert purge(tmp_path, date(2026, 4, 2), 30) == 1
    assert not path.exists()


def test_worker_waits_for_an_unreachable_database_and_stops(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/x")
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(settings, "room-1", stop))
    thread.start()
    time.sleep(1.5)
    assert thread.is_alive()  # still trying, not dead
    stop.set()
    thread.join(15)
    assert not thread.is_alive()


def test_worker_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        create_camera(session, name="room-9", source="0")
        token = issue_camera_token(session, "room-9")
    env = {**os.environ, "ATTENDANCE_INSTANCE_PATH": str(cli.instance),
           "ATTENDANCE_DATABASE_URL": cli.database_url, "ATTENDANCE_WORKER_TOKEN": token}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("attendance")), "worker", "--camera", "room-9"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with cli.session() as session:
                if session.scalars(select(Camera.last_heartbeat_at)).one() is not None:
                    break
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "stopped" in output


def test_the_worker_waits_briefly_for_a_sqlite_lock_the_dashboard_longer(tmp_path: Path) -> None:
    """While another program holds SQLite's write lock the worker gives up after
    ``worker_sqlite_busy_timeout_seconds`` (its sightings wait in the spool) instead of the
    dashboard's ``sqlite_busy_timeout_seconds``, so captures stay on time."""
    settings = make_settings(tmp_path, worker_sqlite_busy_timeout_seconds=1.5,
                             sqlite_busy_timeout_seconds=45.0)
    for engine, expected in ((worker_engine(settings), 1500), (make_engine(settings), 45000)):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == expected
        engine.dispose()


def test_a_worker_whose_camera_changes_ends_to_start_again(tmp_path: Path) -> None:
    """Renamed, given a new source, or removed: the running worker notices at its next
    refresh and returns True (the process then exits so it starts again with the change);
    ``attendance worker`` exits with status 75 then."""
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        camera_id = create_camera(session, name="room-1", source=str(tmp_path / "a.avi")).id
        token = issue_camera_token(session, "room-1")
    settings = make_settings(tmp_path, database_url=cli.database_url, worker_token=token,
                             worker_refresh_seconds=1.0)
    for change in ({"source": str(tmp_path / "b.avi")}, {"name": "room-1b"}, None):
        stop = threading.Event()
        outcome: list[bool] = []
        name = "room-1b" if change is None else "room-1"
        thread = threading.Thread(target=_run_into, args=(outcome, settings, name, stop))
        thread.start()
        try:
            time.sleep(1.5)  # started, and refreshed at least once
            assert thread.is_alive()
            with cli.session() as session, session.begin():
                if change is None:
                    remove_camera(session, camera_id, actor="test")
                else:
                    update_camera(session, camera_id, actor="test", **change)
            thread.join(15)
        finally:
            stop.set()
            thread.join(15)
        assert outcome == [True], change


def _run_into(outcome: list[bool], settings: Settings, name: str,
              stop: threading.Event) -> None:
    outcome.append(run_worker(settings, name, stop))
