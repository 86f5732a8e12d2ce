"""End to end in a real browser: a teacher's day, from an empty database to the CSV export.

Sign in, create a course with a weekly schedule and a camera, enroll a student from LFW
photos with the real dlib model, put them on the roster, create the week's sessions, let the
camera worker (the real one, reading a generated video, on a fake clock) see the student,
read the session's attendance, correct the mark with a reason, and download the CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import cv2
import numpy as np
import openpyxl
import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from attendance.db import ClassSession, utcnow
from attendance.export import COLUMNS
from attendance.worker import CameraWorker, FakeClock, WorkerState, run_class_session
from models import Embedder
from tests.lfw_faces import LfwFaces, lfw_root
from webui.workers import WORKERS_KEY

from .conftest import LiveServer, login

PERSON = "Colin_Powell"
ENROLL_PHOTOS = (1, 2)
#: Photos the camera sees: never the enrollment ones.
SEEN_PHOTOS = (4, 5, 6)
CAMERA = "room-101"


@pytest.fixture
def lfw(request: pytest.FixtureRequest) -> LfwFaces:
    return LfwFaces(lfw_root(request.config.cache))


def _as_csv(value: object) -> str:
    """An XLSX cell (dates and times are typed there) as the CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.time() != time(0) else "%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def write_classroom_video(path: Path, lfw: LfwFaces) -> Path:
    """An MJPG video, one frame per capture: the student's photo on a grey background."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 2.0, (640, 360))
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi files here"
    rng = np.random.default_rng(0)
    for number in SEEN_PHOTOS:
        frame = rng.integers(90, 140, size=(360, 640, 3), dtype=np.uint8)
        photo = cv2.imread(str(lfw.path(PERSON, number)))
        assert photo is not None, f"cannot read {PERSON} {number}"
        frame[55:305, 195:445] = np.asarray(photo, dtype=np.uint8)
        writer.write(frame)
    writer.release()
    return path


class _OneWorker:
    """The supervisor's report of the camera's worker process (restarted once)."""

    def states(self) -> list[WorkerState]:
        return [WorkerState(CAMERA, "running", 4242, utcnow() - timedelta(minutes=3), 1,
                            "killed by SIGKILL")]

    def stop(self) -> None:
        """Nothing to stop: no process runs here."""


def test_course_enroll_attend_correct_export(
    page: Page, live_server: LiveServer, lfw: LfwFaces, dlib: Embedder, screenshots: Path,
    tmp_path: Path,
) -> None:
    now = utcnow()
    if now.time() >= time(23, 57):
        pytest.skip("a session starting now would cross midnight UTC; run again in minutes")
    start = max(now - timedelta(minutes=1), now.replace(hour=0, minute=0))
    end = min(start + timedelta(hours=2), now.replace(hour=23, minute=59))
    video = write_classroom_video(tmp_path / "classroom.avi", lfw)

    page.goto("/auth/login")
    shot(page, screenshots, "01_login")
    login(page)

    # The classroom camera (a video file here), registered by the admin.
    page.get_by_role("link", name="Cameras").click()
    page.get_by_label("Name").fill(CAMERA)
    page.get_by_label("Source").fill(str(video))
    page.get_by_role("button", name="Add camera").click()
    expect(page.get_by_text(f"Camera {CAMERA} added.")).to_be_visible()

    # A course meeting today (UTC) from a minute ago, so a session is running now.
    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="New course").click()
    page.get_by_label("Code").fill("CS101")
    page.get_by_label("Name", exact=True).fill("Introduction to Computing")
    page.get_by_label("Time zone").select_option("UTC")
    page.get_by_label("Camera").select_option(CAMERA)
    page.locator('[name="slots-0-weekday"]').select_option(str(now.weekday()))
    page.locator('[name="slots-0-start"]').fill(start.strftime("%H:%M"))
    page.locator('[name="slots-0-end"]').fill(end.strftime("%H:%M"))
    shot(page, screenshots, "02_course_form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Course CS101 created.")).to_be_visible()

    # Enroll the student from two photos, embedded by the real dlib model.
    page.get_by_role("link", name="Students").click()
    page.get_by_role("link", name="Enroll a student").click()
    page.get_by_label("Student number").fill("S042")
    page.get_by_label("Name", exact=True).fill("Colin Powell")
    page.get_by_label("Email (optional)").fill("colin@school.example")
    photos: list[FilePayload] = [
        {"name": f"powell_{n}.jpg", "mimeType": "image/jpeg", "buffer": lfw.jpeg(PERSON, n)}
        for n in ENROLL_PHOTOS
    ]
    page.locator("#photos").set_input_files(photos)
    page.get_by_label("The student (or a guardian) agreed").check()
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_text("Student S042 enrolled: 2 photo(s) accepted")).to_be_visible(
        timeout=120_000)
    shot(page, screenshots, "03_enrolled")

    # On the roster, and this week's sessions created.
    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="CS101").click()
    page.get_by_label("Student numbers").fill("S042")
    page.get_by_role("button", name="Add to roster").click()
    expect(page.get_by_text("1 student(s) added to the roster.")).to_be_visible()
    shot(page, screenshots, "04_course")
    page.get_by_role("link", name="Sessions and attendance").click()
    page.get_by_label("Weeks ahead").fill("1")
    page.get_by_role("button", name="Create sessions from the weekly schedule").click()
    expect(page.get_by_text("1 session(s) created")).to_be_visible()

    # The camera worker sees the student in three frames during the session.
    with live_server.factory() as session:
        class_session = session.scalars(select(ClassSession)).one()
    # The video holds one frame per capture: played frame by frame, not in real time.
    worker = CameraWorker.for_camera(
        replace(live_server.settings, camera_file_playback="frames"), live_server.factory,
        CAMERA, embedders=[dlib], clock=FakeClock(utcnow()),
    )
    summary = run_class_session(worker, class_session.id, interval_s=30.0,
                                max_ticks=len(SEEN_PHOTOS), finalize=False)
    worker.camera.close()
    assert summary.matched == len(SEEN_PHOTOS), summary

    page.reload()
    expect(page.locator("td.num").first).to_have_text("1")  # one present
    shot(page, screenshots, "05_sessions")
    page.get_by_role("link", name=class_session.starts_at.strftime("%a %Y-%m-%d")).click()
    row = page.get_by_role("row", name="Colin Powell")
    expect(row.locator(".status")).to_have_text("present")
    expect(row.locator("td.num")).to_have_text(str(len(SEEN_PHOTOS)))
    shot(page, screenshots, "06_session_marks")

    # A correction with a reason, through the row's small "Correct" control.
    row.locator("summary").click()
    row.get_by_label("New status").select_option("late")
    row.get_by_label("Reason").fill("arrived after the break; the camera missed it")
    row.get_by_role("button", name="Save the correction for Colin Powell").click()
    expect(page.get_by_text("Mark corrected")).to_be_visible()
    row = page.get_by_role("row", name="Colin Powell")
    expect(row.locator(".status")).to_have_text("late")
    expect(row).to_contain_text("arrived after the break; the camera missed it")
    shot(page, screenshots, "07_session_corrected")

    # The CSV download holds the corrected mark.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    data = Path(info.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 2
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["course_code"] == "CS101"
    assert record["student_number"] == "S042"
    assert record["student_name"] == "Colin Powell"
    assert record["status"] == "late"
    assert record["source"] == "manual"
    assert record["sightings"] == str(len(SEEN_PHOTOS))
    assert record["reason"] == "arrived after the break; the camera missed it"

    # The same table as XLSX.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download Excel (XLSX)").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()),
                                      read_only=True)
    sheet = [list(r) for r in workbook["Attendance"].iter_rows(values_only=True)]
    workbook.close()
    assert [_as_csv(c) for c in sheet[1]] == rows[1]

    # History: the course matrix with its chart, and the student's own page.
    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="CS101").click()
    page.get_by_role("link", name="Attendance over time").click()
    expect(page.get_by_role("region", name="Attendance matrix")).to_contain_text("L")
    chart = page.get_by_role("img", name="Line chart of the attendance rate")
    expect(chart).to_be_visible()
    # The SVG is served by us and allowed by the CSP: it loads and has a size.
    expect(chart).to_have_js_property("complete", True)
    assert chart.evaluate("img => img.naturalWidth") > 0
    shot(page, screenshots, "11_course_attendance")
    page.get_by_role("link", name="Colin Powell").click()
    expect(page.locator("dl.facts")).to_contain_text("0 present · 1 late · 0 absent")
    shot(page, screenshots, "12_student_history")

    page.get_by_role("link", name="Students").click()
    shot(page, screenshots, "08_students")

    # The worker's heartbeat: the camera is alive and filming the course now. As under
    # `attendance serve`, the page also shows the worker process (its supervisor's report).
    live_server.app.extensions[WORKERS_KEY] = _OneWorker()
    page.get_by_role("link", name="Cameras").click()
    row = page.get_by_role("row", name=CAMERA)
    expect(row.locator(".health").first).to_have_text("alive")
    expect(row).to_contain_text("Filming CS101")
    expect(row).to_contain_text("restarted 1×; last killed by SIGKILL")
    shot(page, screenshots, "10_cameras")
