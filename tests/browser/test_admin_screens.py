"""The admin screens in a real browser: users (a one-time password, the holder choosing their
own, reset, deactivate, role), erasing a student through its confirmation page, changing and
removing a camera, and the enrollment form's look-alike step with the real dlib model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from attendance.db import AttendanceRecord, ClassSession, Course, Sighting, Student
from attendance.services.consent import give_consent
from attendance.services.courses import create_course
from tests.lfw_faces import LfwFaces, lfw_root

from .conftest import LiveServer, login


@pytest.fixture
def lfw(request: pytest.FixtureRequest) -> LfwFaces:
    return LfwFaces(lfw_root(request.config.cache))


def shot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_user_management(page: Page, live_server: LiveServer, screenshots: Path) -> None:
    login(page)
    page.get_by_role("link", name="Users").click()
    page.get_by_label("Username").fill("tina")
    page.get_by_label("Role").select_option("teacher")
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_role("heading", name="Account tina created")).to_be_visible()
    password = page.locator(".one-time-password").inner_text()
    assert len(password) >= 20
    shot(page, screenshots, "17_user_one_time_password")

    # Tina signs in once with it and must choose her own password first.
    context = page.context.browser.new_context(base_url=live_server.url)  # type: ignore[union-attr]
    tina = context.new_page()
    _sign_in(tina, "tina", password)
    tina.wait_for_url("**/auth/password")
    expect(tina.get_by_role("heading", name="Choose your own password")).to_be_visible()
    shot(tina, screenshots, "18_user_choose_own_password")
    tina.get_by_label("Current password").fill(password)
    tina.get_by_label("New password", exact=True).fill("tina's own password")
    tina.get_by_label("New password again").fill("tina's own password")
    tina.get_by_role("button", name="Change password").click()
    _sign_in(tina, "tina", "tina's own password")
    tina.wait_for_url("**/today/")

    # The admin resets her password: her session ends, a new one-time password is shown.
    page.get_by_role("link", name="Back to users").click()
    page.get_by_role("button", name="Reset the password of tina").click()
    expect(page.get_by_role("heading", name="Password of tina reset")).to_be_visible()
    expect(page.get_by_text("Their open sessions have ended.")).to_be_visible()
    tina.goto("/courses/")
    tina.wait_for_url("**/auth/login**")
    context.close()

    page.get_by_role("link", name="Back to users").click()
    row = page.get_by_role("row", name="tina")
    row.get_by_label("Role of tina", exact=True).select_option("admin")
    row.get_by_role("button", name="Change the role of tina").click()
    expect(page.get_by_text("tina is an admin now.")).to_be_visible()
    page.get_by_role("row", name="tina").get_by_role("button", name="Deactivate tina").click()
    expect(page.get_by_text("tina is deactivated: they cannot sign in")).to_be_visible()
    expect(page.get_by_role("row", name="tina")).to_contain_text("deactivated")
    shot(page, screenshots, "19_users")
    # The only active admin left cannot demote themselves: the page says why.
    expect(page.get_by_role("row", name="admin (you)")).not_to_contain_text("Deactivate")


def test_erasing_a_student_asks_first(page: Page, live_server: LiveServer,
                                      screenshots: Path) -> None:
    with live_server.factory.begin() as session:
        course = create_course(session, code="BIO1", name="Biology", timezone="UTC")
        student = Student(student_number="S077", display_name="Ada Lovelace",
                          email="ada@school.example")
        session.add(student)
        session.flush()
        session.add(ClassSession(course_id=course.id,
                                 starts_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
                                 ends_at=datetime(2026, 3, 2, 9, tzinfo=UTC)))
        session.flush()
        class_session = session.scalars(select(ClassSession)).one()
        give_consent(session, student.id, given_by="Ada Lovelace", notice_version="1",
                     actor="admin")
        for minute in range(3):
            session.add(Sighting(class_session_id=class_session.id, student_id=student.id,
                                 seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC),
                                 box_top=0, box_right=1, box_bottom=1, box_left=0))
        session.add(AttendanceRecord(class_session_id=class_session.id, student_id=student.id,
                                     status="present"))
    login(page)
    page.get_by_role("link", name="Students").click()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)  # no one-click delete
    page.get_by_role("link", name="Ada Lovelace").click()
    page.get_by_role("link", name="Erase this student…").click()
    counts = page.locator("table.erase-counts")
    expect(counts.get_by_role("row", name="Sightings by the cameras")).to_contain_text("3")
    expect(counts.get_by_role("row", name="Attendance records")).to_contain_text("1")
    expect(counts.get_by_role("row", name="Consent records")).to_contain_text("1")
    shot(page, screenshots, "20_erase_confirmation")
    page.get_by_label("Type the student number to confirm").fill("S078")
    page.get_by_role("button", name="Erase Ada Lovelace for good").click()
    expect(page.get_by_text("The number typed is not S077: nothing was erased.")).to_be_visible()
    page.get_by_label("Type the student number to confirm").fill("S077")
    page.get_by_role("button", name="Erase Ada Lovelace for good").click()
    expect(page.get_by_text("Student S077 and their face data were erased.")).to_be_visible()
    shot(page, screenshots, "21_erased")
    with live_server.factory() as session:
        assert session.scalars(select(Student)).all() == []


def test_changing_and_removing_a_camera(page: Page, live_server: LiveServer,
                                        screenshots: Path) -> None:
    login(page)
    page.get_by_role("link", name="Cameras").click()
    page.get_by_label("Name").fill("room-1")
    page.get_by_label("Source").fill("rtsp://admin:S3cret-pw@10.0.0.5/stream")
    page.get_by_role("button", name="Add camera").click()
    with live_server.factory.begin() as session:
        create_course(session, code="BIO1", name="Biology", timezone="UTC",
                      camera_name="room-1")
    page.get_by_role("link", name="Change or remove room-1").click()
    expect(page.get_by_text("rtsp://10.0.0.5/stream")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("S3cret")
    page.get_by_label("Name").fill("room-101")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Camera room-101: name saved.")).to_be_visible()
    page.get_by_role("link", name="Change or remove room-101").click()
    page.get_by_role("link", name="Remove room-101…").click()
    expect(page.get_by_text("room-101 films 1 course(s):")).to_be_visible()
    shot(page, screenshots, "22_camera_remove")
    page.get_by_role("button", name="Detach it from 1 course(s) and remove it").click()
    expect(page.get_by_text("Camera room-101 removed. It was detached from BIO1")).to_be_visible()
    with live_server.factory() as session:
        assert session.scalars(select(Course.camera_id)).all() == [None]


def test_enrollment_asks_about_a_lookalike(page: Page, live_server: LiveServer,
                                           lfw: LfwFaces, screenshots: Path) -> None:
    """George W. Bush enrolled from photos 1 and 2; photo 4 (dlib 0.501 from them) filed as
    a new student is shown beside the enrolled one and stored once confirmed."""
    with live_server.factory.begin() as session:
        create_course(session, code="BIO1", name="Biology", timezone="UTC")

    def photo(number: int) -> FilePayload:
        return {"name": f"bush_{number}.jpg", "mimeType": "image/jpeg",
                "buffer": lfw.jpeg("George_W_Bush", number)}

    def enroll(number: str, name: str, photos: list[FilePayload]) -> None:
        page.get_by_label("Student number").fill(number)
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("Course whose roster the student joins").select_option(
            label="BIO1 Biology")
        page.locator("#photos").set_input_files(photos)
        page.get_by_label("The student (or a guardian) agreed").check()
        page.get_by_role("button", name="Enroll").click()

    login(page)
    page.goto("/students/enroll")
    enroll("S001", "George Bush", [photo(1), photo(2)])
    expect(page.get_by_text("Student S001 enrolled: 2 photo(s) accepted")).to_be_visible(
        timeout=120_000)
    enroll("S002", "Someone New", [photo(4)])
    panel = page.get_by_role("region", name="Is this a different person?")
    expect(panel).to_contain_text("Looks like S001 George Bush", timeout=120_000)
    expect(panel).to_contain_text("dlib distance 0.50")
    for image in (panel.get_by_role("img", name="The face in the new photo"),
                  panel.get_by_role("img", name="Kept enrollment photo of George Bush")):
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    expect(page.get_by_text("Choose the photos again before you send the form")).to_be_visible()
    shot(page, screenshots, "23_enroll_lookalike")
    panel.get_by_label("I have checked: the photos show a different person").check()
    page.locator("#photos").set_input_files([photo(4)])
    page.get_by_label("The student (or a guardian) agreed").check()
    page.get_by_role("button", name="Enroll").click()
    expect(page.get_by_text("Student S002 enrolled: 1 photo(s) accepted")).to_be_visible(
        timeout=120_000)
