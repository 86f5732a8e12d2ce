"""The session page, compact: one table, a small correction control per student, students
who cannot be recognised flagged with the reason, rates that say what they leave out, and a
page that refreshes itself while the session runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import Course, FaceEmbedding, FacePhoto
from attendance.services.records import count_sighting

from .conftest import AuthActions, Classroom, consent_for

RUNNING = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # BIO101 runs 08:00-09:30 UTC
ENDED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _at(monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
    monkeypatch.setattr("webui.sessions.views.utcnow", lambda: now)


def _first_recognisable(factory: sessionmaker[Session], classroom: Classroom) -> None:
    """The first student has consent and an accepted photo (for the fixtures' FakeEmbedder,
    dlib version "test"); the second has neither. The first is seen once (not confirmed)."""
    first = classroom.student_ids[0]
    with factory.begin() as session:
        consent_for(session, [first])
        photo = FacePhoto(student_id=first, content_hash="f" * 64, width=9, height=9,
                          face_pixels=9, sharpness=9.0, brightness=99.0)
        session.add(photo)
        session.flush()
        session.add(FaceEmbedding(student_id=first, photo_id=photo.id, model_name="dlib",
                                  model_version="test", dimension=2, vector=b"\0" * 8))
        count_sighting(session, class_session_id=classroom.session_id, student_id=first,
                       seen_at=datetime(2026, 3, 2, 8, 5, tzinfo=UTC), min_sightings=2)


def test_students_who_cannot_be_recognised_are_flagged_with_the_reason(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _at(monkeypatch, RUNNING)
    _first_recognisable(session_factory, classroom)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert page.count('<span class="flag">Cannot be recognised:</span>') == 1
    assert ('<span class="flag-why">no active consent covering this course; no accepted photo '
            "for the face model dlib</span>") in page
    assert "seen 1×, not confirmed yet" in page
    assert ("1 student(s) without a mark cannot be recognised by the camera at all (reasons in "
            "the table): mark them by hand, or open a check-in code.") in page
    with session_factory.begin() as session:
        session.execute(update(Course).values(face_recognition_enabled=False))
    off = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert off.count("face recognition is off for this course") == 2


def test_counts_and_a_rate_that_says_what_it_leaves_out(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _at(monkeypatch, RUNNING)
    with session_factory.begin() as session:
        for minute in (1, 2):
            count_sighting(session, class_session_id=classroom.session_id,
                           student_id=classroom.student_ids[0], min_sightings=2,
                           seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC))
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert "<strong>On now</strong>, until 10:30" in page
    assert "<strong>100 %</strong> present or late" in page
    assert "(rate over 1 recorded student; left out: 1 not recorded yet)" in page
    assert '<span class="count-n">1</span> not seen yet' in page


def test_corrections_are_a_small_control_per_student(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _at(monkeypatch, ENDED)
    auth.login("alice")
    page = client.get(f"/sessions/{classroom.session_id}").get_data(as_text=True)
    assert page.count('<details class="correct">') == 2  # closed: the table stays compact
    assert "<summary>Correct<span class=\"visually-hidden\"> the mark of Li Wei</span>" in page
    student = classroom.student_ids[0]
    refused = client.post(f"/sessions/{classroom.session_id}/students/{student}/override",
                          data={f"s{student}-status": "present", f"s{student}-reason": ""})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert text.count('<details class="correct" open>') == 1  # the one with the error
    assert "Say why the mark is changed." in text


def test_the_page_refreshes_itself_only_while_the_session_runs(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _at(monkeypatch, RUNNING)
    auth.login("alice")
    url = f"/sessions/{classroom.session_id}"
    page = client.get(url).get_data(as_text=True)
    assert f'data-live-url="{url}/live.json"' in page
    assert '<script src="/static/live.js" defer></script>' in page
    version = re.search(r'data-live-version="([0-9a-f]+)"', page)
    assert version is not None
    data = client.get(f"{url}/live.json").get_json()
    assert (data["live"], data["version"]) == (True, version.group(1))
    assert set(data["parts"]) == {"session-summary", "session-students"}
    assert "Zoë Ångström" in data["parts"]["session-students"]
    with session_factory.begin() as session:
        count_sighting(session, class_session_id=classroom.session_id,
                       student_id=classroom.student_ids[1], min_sightings=1,
                       seen_at=datetime(2026, 3, 2, 8, 20, tzinfo=UTC))
    changed = client.get(f"{url}/live.json").get_json()
    assert changed["version"] != version.group(1)
    assert '<span class="status status-late">late</span>' in changed["parts"]["session-students"]

    _at(monkeypatch, ENDED)
    ended = client.get(url).get_data(as_text=True)
    assert "data-live-url" not in ended
    assert "<script" not in ended
    assert client.get(f"{url}/live.json").get_json()["live"] is False
    auth.logout()
    auth.login("bob")
    assert client.get(f"{url}/live.json").status_code == 404
