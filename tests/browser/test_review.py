"""The review queue in the browser: one question per student and session, with the faces the
camera kept (real LFW faces here); "not X" settles a whole group, "yes" counts one, and the
evidence page shows the faces."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from attendance.crypto import TemplateCipher
from attendance.db import Camera, ClassSession, Student, utcnow
from attendance.services.courses import create_course
from attendance.services.roster import add_to_roster
from attendance.services.schedule import create_adhoc_session
from attendance.services.sightings import record_sighting
from attendance.worker.thumbnails import save_thumbnail
from tests.lfw_faces import LfwFaces, lfw_root
from tests.webui.conftest import consent_for

from .conftest import LiveServer, login

#: Where the face lies in a 250 × 250 deep-funnelled LFW photo (top, right, bottom, left).
FACE_BOX = (62, 188, 188, 62)


@pytest.fixture
def lfw(request: pytest.FixtureRequest) -> LfwFaces:
    return LfwFaces(lfw_root(request.config.cache))


def _unsure_faces(live_server: LiveServer, lfw: LfwFaces) -> None:
    """BIO2 today (running) and last week: the camera was unsure about Gerhard Schroeder
    12 times and Ariel Sharon 3 times today, and about Gerhard twice last week; every face
    is kept as the worker keeps an unsure one (encrypted thumbnail)."""
    now = utcnow()
    settings = live_server.settings
    cipher = TemplateCipher.from_settings(settings)
    with live_server.factory.begin() as session:
        camera = Camera(name="lab-1", source="0")
        session.add(camera)
        course = create_course(session, code="BIO2", name="Biology 2", timezone="UTC")
        people = {name: Student(student_number=number, display_name=name.replace("_", " "))
                  for number, name in (("S7", "Gerhard_Schroeder"), ("S8", "Ariel_Sharon"))}
        session.add_all(people.values())
        session.flush()
        add_to_roster(session, course.id, student_ids=[s.id for s in people.values()])
        consent_for(session, [s.id for s in people.values()])
        today = create_adhoc_session(session, course_id=course.id,
                                     starts_at=now - timedelta(minutes=40),
                                     ends_at=now + timedelta(minutes=50))
        last_week = ClassSession(course_id=course.id, starts_at=today.starts_at
                                 - timedelta(days=7), ends_at=today.ends_at - timedelta(days=7))
        session.add(last_week)
        session.flush()
        seen = [(today, "Gerhard_Schroeder", i) for i in range(12)]
        seen += [(today, "Ariel_Sharon", i) for i in range(3)]
        seen += [(last_week, "Gerhard_Schroeder", i) for i in range(2)]
        for n, (class_session, person, i) in enumerate(seen):
            at = class_session.starts_at + timedelta(minutes=2 + 2 * i, seconds=n)
            key = f"lab-1-{n:04d}"
            evidence: dict[str, Any] = {
                "dlib": {"distance": 0.56 + 0.003 * i, "threshold": 0.55,
                         "version": "dlib_face_recognition_resnet_model_v1",
                         "candidate": people[person].id, "accepted": False}}
            if person == "Ariel_Sharon":  # the fused score found Gerhard about as like
                evidence["fused"] = {
                    "distance": -4.1, "threshold": -3.78, "p": 0.984, "version": "v2",
                    "candidate": people[person].id, "accepted": True, "ambiguous": True,
                    "runner_up": people["Gerhard_Schroeder"].id, "margin": 0.3}
            record_sighting(
                session, class_session_id=class_session.id, student_id=None, seen_at=at,
                box=FACE_BOX, camera_id=camera.id, dedupe_key=key, min_sightings=2,
                evidence=evidence)
            frame = lfw.rgb(person, 1 + i % 8)[:, :, ::-1].copy()  # BGR, as a camera gives
            assert save_thumbnail(settings.instance_path, at, key, frame, FACE_BOX, cipher)


def test_review_questions_with_faces(
    page: Page, live_server: LiveServer, lfw: LfwFaces, screenshots: Path
) -> None:
    _unsure_faces(live_server, lfw)
    login(page)
    page.get_by_role("link", name="Courses").click()
    page.get_by_role("link", name="BIO2").click()
    page.get_by_role("link", name="Review unsure sightings").click()
    expect(page.get_by_text("17 sighting(s) in 3 question(s) to review.")).to_be_visible()
    gerhard = page.get_by_role("region", name="Is this Gerhard Schroeder?").first
    expect(gerhard).to_contain_text("12 sighting(s)")
    faces = gerhard.locator("img.face")
    expect(faces).to_have_count(3)
    for i in range(3):  # served decrypted, and allowed by the CSP
        expect(faces.nth(i)).to_have_js_property("complete", True)
        assert faces.nth(i).evaluate("img => img.naturalWidth") > 0
    ariel = page.get_by_role("region", name="Is this Ariel Sharon?")
    expect(ariel).to_contain_text("the face looks about as much like two students")
    expect(ariel).to_contain_text("It looks about as much like Gerhard Schroeder (S7).")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1400, f"the queue of 3 questions is {height} px tall"
    page.screenshot(path=str(screenshots / "15_review_queue.png"), full_page=True)
    ariel.get_by_text("Distances of the closest sighting").click()  # whom each figure is about
    expect(ariel).to_contain_text(
        "runner-up: Gerhard Schroeder (S7), only 0.30 further (within the margin: about as alike)")
    ariel.screenshot(path=str(screenshots / "15b_review_figures.png"))

    page.get_by_role("button", name="Not Ariel Sharon").click()
    expect(page.get_by_text("Noted: not Ariel Sharon (3 sighting(s)).")).to_be_visible()
    expect(page.get_by_text("14 sighting(s) in 2 question(s) to review.")).to_be_visible()
    page.get_by_role("button", name="Yes, Gerhard Schroeder").first.click()
    expect(page.get_by_text("Counted for Gerhard Schroeder: 12 sighting(s) confirmed.")
           ).to_be_visible()
    expect(page.get_by_text("2 sighting(s) in 1 question(s) to review.")).to_be_visible()

    page.get_by_role("link", name="Today").click()
    page.get_by_role("link", name="BIO2 · Biology 2").first.click()
    row = page.get_by_role("row", name="Gerhard Schroeder")
    expect(row.locator(".status")).to_have_text("present")
    row.get_by_role("link", name="12 sightings: evidence for Gerhard Schroeder").click()
    expect(page.get_by_text("12 sighting(s)", exact=True)).to_be_visible()
    expect(page.locator("img.thumb")).to_have_count(12)
    expect(page.get_by_text("confirmed by admin").first).to_be_visible()
    page.screenshot(path=str(screenshots / "16_evidence.png"), full_page=True)
