"""The teacher's day in the browser: the Today page with a running session's live counts,
refreshed by ``static/live.js`` under the strict CSP, and the compact session page that
flags who cannot be recognised, refreshes itself and corrects a mark through a small control.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from attendance.db import ClassSession, FaceEmbedding, FacePhoto, Student, utcnow
from attendance.services.courses import create_course
from attendance.services.records import count_sighting
from attendance.services.roster import add_to_roster
from tests.webui.conftest import consent_for

from .conftest import LiveServer, login

#: Zones a few hours apart: one of them has local time between 09:00 and 15:00 at any
#: moment, so today's sessions (an hour around now) never cross local midnight.
ZONES = ("Pacific/Honolulu", "America/Los_Angeles", "America/New_York", "Atlantic/Azores",
         "Europe/Berlin", "Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Tokyo",
         "Pacific/Auckland")
NAMES = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Niklaus Wirth")
DLIB_VERSION = "dlib_face_recognition_resnet_model_v1"


def _midday_zone(now: datetime) -> str:
    for zone in ZONES:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 15:
            return zone
    raise AssertionError("no zone with local time between 09:00 and 15:00")  # cannot happen


def _day(live_server: LiveServer) -> tuple[int, list[int]]:
    """CS7 in a zone where it is about midday: a session 20 minutes in (8 students: 3
    present, 1 late, 4 not seen yet, of whom Donald Knuth has no consent and Frances Allen
    no accepted photo), one at the next hour, one that ended this morning. (running session
    id, student ids)."""
    now = utcnow()
    with live_server.factory.begin() as session:
        course = create_course(session, code="CS7", name="Algorithms", late_after_minutes=5,
                               timezone=_midday_zone(now))
        students = [Student(student_number=f"S{i + 1:03d}", display_name=name)
                    for i, name in enumerate(NAMES)]
        session.add_all(students)
        session.flush()
        ids = [s.id for s in students]
        add_to_roster(session, course.id, student_ids=ids)
        consent_for(session, ids[:5] + ids[6:])
        for student_id in ids[:6] + ids[7:]:
            photo = FacePhoto(student_id=student_id, content_hash=f"{student_id:064x}",
                              width=9, height=9, face_pixels=9, sharpness=9.0, brightness=99.0)
            session.add(photo)
            session.flush()
            session.add(FaceEmbedding(student_id=student_id, photo_id=photo.id,
                                      model_name="dlib", model_version=DLIB_VERSION,
                                      dimension=2, vector=b"\0" * 8))
        running, later, earlier = (
            ClassSession(course_id=course.id, starts_at=start, ends_at=start + length)
            for start, length in ((now - timedelta(minutes=20), timedelta(minutes=60)),
                                  (now + timedelta(minutes=70), timedelta(minutes=45)),
                                  (now - timedelta(hours=3), timedelta(minutes=50))))
        session.add_all([running, later, earlier])
        session.flush()
        for student_id, minutes in ((ids[0], 1), (ids[1], 2), (ids[2], 3), (ids[3], 12)):
            for extra in (0, 1):
                count_sighting(session, class_session_id=running.id, student_id=student_id,
                               seen_at=running.starts_at + timedelta(minutes=minutes + extra),
                               min_sightings=2)
        return running.id, ids


def _count(page: Page, label: str) -> str:
    item = page.locator("li.count", has_text=label).first
    return item.locator(".count-n").inner_text()


def test_today_and_the_live_session_page(
    page: Page, live_server: LiveServer, screenshots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webui.today.views.POLL_SECONDS", 5)
    monkeypatch.setattr("webui.sessions.views.POLL_SECONDS", 5)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if _is_error(m) else None)
    running, ids = _day(live_server)
    login(page)  # the home page is Today
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="On now", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Next", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Earlier today")).to_be_visible()
    card = page.locator("li.today-running")
    expect(card).to_contain_text("CS7 · Algorithms")
    assert [_count(card, w) for w in ("present", "late", "not seen yet",
                                      "cannot be recognised")] == ["3", "1", "4", "2"]
    expect(card).to_contain_text("rate over 4 recorded students; left out: 4 not recorded yet")
    page.screenshot(path=str(screenshots / "20_today.png"), full_page=True)

    with live_server.factory.begin() as session:  # the camera sees one more student
        count_sighting(session, class_session_id=running, student_id=ids[4],
                       seen_at=utcnow(), min_sightings=1)
    expect(card.locator("li.count", has_text="late").locator(".count-n")).to_have_text(
        "2", timeout=20_000)  # refreshed by itself, no reload
    expect(page.locator("[data-live-status]")).to_contain_text("Updated at")

    card.get_by_role("link", name="Marks and corrections").click()
    expect(page.get_by_text("Refreshes by itself every 5 s.")).to_be_visible()
    blocked = page.locator("tr.row-blocked")
    expect(blocked).to_have_count(2)
    expect(blocked.first).to_contain_text("no active consent covering this course")
    expect(blocked.last).to_contain_text("no accepted photo for the face model dlib")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 1300, f"the session page of 8 students is {height} px tall"
    page.screenshot(path=str(screenshots / "21_session_live.png"), full_page=True)

    with live_server.factory.begin() as session:
        count_sighting(session, class_session_id=running, student_id=ids[7],
                       seen_at=utcnow(), min_sightings=1)
    row = page.get_by_role("row", name="Niklaus Wirth")
    expect(row.locator(".status")).to_have_text("late", timeout=20_000)

    row = page.get_by_role("row", name="Donald Knuth")
    row.locator("summary").click()
    row.get_by_label("New status").select_option("present")
    row.get_by_label("Reason").fill("checked in at the door; no consent to the camera")
    page.screenshot(path=str(screenshots / "22_session_correct.png"), full_page=True)
    row.get_by_role("button", name="Save the correction for Donald Knuth").click()
    expect(page.get_by_text("Mark corrected")).to_be_visible()
    row = page.get_by_role("row", name="Donald Knuth")
    expect(row.locator(".status")).to_have_text("present")
    expect(row).to_contain_text("by hand")
    assert errors == [], errors


def _is_error(message: ConsoleMessage) -> bool:
    """A console error (a CSP violation, a failing script or request), except the browser's
    own favicon request, which is not ours."""
    return message.type == "error" and not message.location.get("url", "").endswith(
        "/favicon.ico")
