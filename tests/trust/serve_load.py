"""A real ``attendance serve`` under a school morning's load, for ``test_serve_under_load``.

:func:`prepare_school` builds an instance (SQLite, migrated), four admin accounts, a camera
filming a generated video of real LFW faces, a course with a session running now and six
students enrolled with the real dlib model. :class:`Server` runs ``python -m attendance
serve`` in a process group of its own; :class:`WebClient` is one browser: it signs in,
enrolls real photos through the web form (CSRF token and all) and reads pages, timing each
request.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import requests
from numpy.typing import NDArray

from attendance.config import load_settings
from attendance.db import make_engine, make_session_factory
from attendance.services.cameras import create_camera
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.services.users import create_user
from enrollment import PhotoUpload, enroll_student
from models import load_embedders
from tests.lfw_faces import IMAGES_PER_PERSON, PEOPLE, LfwFaces

PASSWORD = "a long enough password 1"
#: The people the camera films (enrolled before the server starts), and those the web
#: clients enroll while it runs.
FILMED = PEOPLE[:6]
ENROLLED_ONLINE = PEOPLE[6:10]
CLIENTS = 4
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass(frozen=True)
class School:
    env: dict[str, str]
    database_url: str
    session_id: int
    course_id: int
    usernames: tuple[str, ...]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_video(path: Path, lfw: LfwFaces, people: Sequence[str], frames: int,
                fps: float) -> None:
    """An MJPG video of ``people`` seated in a 3x2 grid (LFW photos 3 and 4 alternating,
    each shifted a little from frame to frame), ``frames`` frames long at ``fps``."""
    import cv2

    tiles = [[lfw.rgb(p, n) for p in people] for n in (3, 4)]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (800, 540))
    rng = np.random.default_rng(0)
    try:
        for index in range(frames):
            frame: NDArray[np.uint8] = np.full((540, 800, 3), 90, dtype=np.uint8)
            for seat, tile in enumerate(tiles[(index // 10) % 2]):
                dy, dx = (int(v) for v in rng.integers(0, 10, size=2))
                top, left = 5 + 260 * (seat // 3) + dy, 5 + 260 * (seat % 3) + dx
                frame[top:top + 250, left:left + 250] = tile
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def prepare_school(tmp_path: Path, lfw: LfwFaces, *, session_minutes: int,
                   capture_interval_s: float) -> School:
    """Everything the server needs, in ``tmp_path``; returns how to reach it."""
    instance = tmp_path / "instance"
    url = f"sqlite:///{tmp_path / 'school.sqlite3'}"
    env = {**os.environ, "ATTENDANCE_INSTANCE_PATH": str(instance),
           "ATTENDANCE_DATABASE_URL": url,
           "ATTENDANCE_CAPTURE_INTERVAL_SECONDS": str(capture_interval_s),
           "ATTENDANCE_WORKER_REFRESH_SECONDS": "2",
           "ATTENDANCE_CAMERA_BACKOFF_MAX_SECONDS": "2"}
    env.pop("ATTENDANCE_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "attendance", "db", "upgrade"], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    video = tmp_path / "classroom.avi"
    # The worker plays the file in real time: a frame per capture interval, and longer
    # than the session, so frames keep coming for the whole run.
    frames = int(session_minutes * 60 / capture_interval_s) + 100
    write_video(video, lfw, FILMED, frames, fps=1.0 / capture_interval_s)
    settings = load_settings({}, environ=env)
    engine = make_engine(settings)
    embedders = load_embedders(["dlib"])
    now = datetime.now(UTC)
    usernames = tuple(f"office{i}" for i in range(CLIENTS))
    try:
        with make_session_factory(engine).begin() as session:
            for name in usernames:
                create_user(session, username=name, password=PASSWORD, role="admin")
            create_camera(session, name="room-101", source=str(video))
            course = create_course(session, code="LOAD1", name="Load test", timezone="UTC",
                                   camera_name="room-101")
            class_session = create_adhoc_session(
                session, course_id=course.id, starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(minutes=session_minutes))
            ids = []
            for number, person in enumerate(FILMED):
                result = enroll_student(
                    session, settings, embedders, student_number=f"F{number}",
                    display_name=person.replace("_", " "), consent_by="test",
                    photos=[PhotoUpload(f"{person}_{n}.jpg", lfw.jpeg(person, n))
                            for n in (1, 2)])
                assert result.accepted == 2, result
                ids.append(result.student_id)
            add_to_roster(session, course.id, student_ids=[i for i in ids if i is not None])
            session_id, course_id = class_session.id, course.id
    finally:
        engine.dispose()
    return School(env, url, session_id, course_id, usernames)


class Server:
    """``python -m attendance serve`` on a free port, in a process group of its own."""

    def __init__(self, school: School, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "attendance", "serve", "--port", str(self.port)],
            env=school.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the server exited at start"
            try:
                if requests.get(f"{self.base}/auth/login", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError("the server did not answer in time")

    def children(self) -> list[int]:
        """Pids of the server's child processes (its camera workers)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            match = re.search(r"^PPid:\s+(\d+)$", status, re.MULTILINE)
            if match and int(match.group(1)) == self.process.pid:
                found.append(int(entry.name))
        return sorted(found)

    def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code. Kills the group if it
        does not stop within a minute."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        finally:
            self.kill_group()

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


@dataclass
class ClientLog:
    """What one client saw: (kind, status, seconds) per request, and its enrollments."""

    requests: list[tuple[str, int, float]] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class WebClient:
    """One signed-in browser tab of an office admin."""

    def __init__(self, base: str, username: str, index: int, lfw: LfwFaces) -> None:
        self.base, self.username, self.index, self.lfw = base, username, index, lfw
        self.http = requests.Session()
        self.log = ClientLog()

    def _timed(self, kind: str, method: str, path: str, **kwargs: object) -> requests.Response:
        started = time.perf_counter()
        response = self.http.request(method, f"{self.base}{path}", timeout=120, **kwargs)  # type: ignore[arg-type]
        self.log.requests.append((kind, response.status_code, time.perf_counter() - started))
        return response

    def _token(self, path: str) -> str:
        page = self._timed("page", "GET", path)
        match = _CSRF.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status_code})"
        return match.group(1)

    def sign_in(self) -> None:
        token = self._token("/auth/login")
        response = self._timed("sign-in", "POST", "/auth/login", data={
            "csrf_token": token, "username": self.username, "password": PASSWORD})
        assert response.status_code == 200, response.status_code
        assert "Sign out" in response.text or "sign out" in response.text.lower()

    def enroll(self, serial: int) -> None:
        """Enroll a new student with one real photo (duplicates allowed: the same few LFW
        people are enrolled again and again under new numbers)."""
        person = ENROLLED_ONLINE[self.index % len(ENROLLED_ONLINE)]
        photo = self.lfw.jpeg(person, serial % IMAGES_PER_PERSON + 1)
        number = f"W{self.index}-{serial}"
        token = self._token("/students/enroll")
        response = self._timed("enroll", "POST", "/students/enroll", data={
            "csrf_token": token, "student_number": number,
            "display_name": f"{person.replace('_', ' ')} {serial}", "consent": "y",
            "consent_relation": "student", "allow_duplicate": "y",
        }, files={"photos": (f"{number}.jpg", photo, "image/jpeg")})
        if f"Student {number} enrolled: 1 photo(s) accepted" in response.text:
            self.log.stored.append(number)
        else:
            self.log.refused.append(number)

    def read_pages(self, session_id: int, course_id: int) -> None:
        for path in ("/courses/", f"/courses/{course_id}", f"/sessions/{session_id}",
                     "/students/", "/cameras/"):
            self._timed("page", "GET", path)

    def run(self, stop: threading.Event, session_id: int, course_id: int) -> None:
        try:
            self.sign_in()
            serial = 0
            while not stop.is_set():
                self.enroll(serial)
                serial += 1
                self.read_pages(session_id, course_id)
        except Exception as exc:  # reported by the test, with the statuses seen so far
            self.log.errors.append(f"{type(exc).__name__}: {exc}")


def percentiles(samples: Sequence[float]) -> str:
    if not samples:
        return "n/a"
    p50, p95 = np.percentile(samples, [50, 95])
    return f"p50 {p50 * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms (n={len(samples)})"
