"""The review queue in the browser: an unsure sighting confirmed with one click, then the
mark's evidence page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

from attendance.db import Camera, Student, utcnow
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.services.sightings import record_sighting
from tests.webui.conftest import consent_for

from .conftest import LiveServer, login


def _unsure_sighting(live_server: LiveServer) -> None:
    """A running session of BIO2 where the camera saw Grace twice: once sure, once unsure."""
    now = utcnow()
    with live_server.factory.begin() as session:
        camera = Camera(name="lab-1", source="0")
        session.add(camera)
        course = create_course(session, code="BIO2", name="Biology 2", timezone="UTC")
        grace = Student(student_number="S7", display_name="Grace Hopper")
        session.add(grace)
        session.flush()
        add_to_roster(session, course.id, student_ids=[grace.id])
        consent_for(session, [grace.id])
        class_session = create_adhoc_session(session, course_id=course.id,
                                             starts_at=now - timedelta(minutes=5),
                                             ends_at=now + timedelta(minutes=55))
        for minutes, student, distance in ((4, grace.id, 0.31), (3, None, 0.56)):
            record_sighting(
                session, class_session_id=class_session.id, student_id=student,
                seen_at=now - timedelta(minutes=minutes), box=(40, 180, 180, 40),
                camera_id=camera.id, min_sightings=2,
                evidence={"dlib": {"distance": distance, "threshold": 0.5,
                                   "version": "dlib_face_recognition_resnet_model_v1",
                                   "candidate": grace.id, "accepted": distance <= 0.5}},
            )


def test_confirm_an_unsure_sighting(
    page: Page, live_server: LiveServer, screenshots: Path
) -> None:
    _unsure_sighting(live_server)
    login(page)
    page.get_by_role("link", name="BIO2").click()
    page.get_by_role("link", name="Review unsure sightings").click()
    expect(page.get_by_text("1 sighting(s) to review.")).to_be_visible()
    expect(page.get_by_text("dlib distance 0.560 just above its threshold 0.50")).to_be_visible()
    page.screenshot(path=str(screenshots / "15_review_queue.png"), full_page=True)
    page.get_by_role("button", name="Yes, Grace Hopper").click()
    expect(page.get_by_text("Counted for Grace Hopper.")).to_be_visible()
    expect(page.get_by_text("Nothing to review")).to_be_visible()

    page.get_by_role("link", name="Back to the course").click()
    page.get_by_role("link", name="Sessions and attendance").click()
    page.locator("tbody a").first.click()
    row = page.get_by_role("row", name="Grace Hopper")
    expect(row.locator(".status")).to_have_text("present")
    row.get_by_role("link", name="2 sightings: evidence for Grace Hopper").click()
    expect(page.get_by_text("2 sighting(s)")).to_be_visible()
    expect(page.get_by_text("confirmed by admin")).to_be_visible()
    page.screenshot(path=str(screenshots / "16_evidence.png"), full_page=True)
