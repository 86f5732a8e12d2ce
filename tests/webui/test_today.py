"""The Today page (the home page): today's sessions of one's courses in each course's time
zone, live counts that refresh within the strict CSP, and polls that are not activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import ClassSession
from attendance.services.records import count_sighting
from webui.auth.session_limits import CLOCK_KEY

from .conftest import AuthActions, Classroom, People, consent_for

#: Monday 2026-03-02 09:30 UTC: BIO101 (08:00-09:30 UTC, 09:00-10:30 in Berlin) is on.
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webui.today.views.utcnow", lambda: NOW)
    monkeypatch.setattr("webui.sessions.views.utcnow", lambda: NOW)


def _day(factory: sessionmaker[Session], classroom: Classroom) -> tuple[int, int]:
    """Alice's BIO101 today: one session earlier (06:00 Berlin), the running one, one at
    13:00 Berlin; the first student seen twice in the running one. (earlier, next) ids."""
    with factory.begin() as session:
        earlier, later = (ClassSession(course_id=classroom.course_id, starts_at=start,
                                       ends_at=start + timedelta(hours=1))
                          for start in (datetime(2026, 3, 2, 5, tzinfo=UTC),
                                        datetime(2026, 3, 2, 12, tzinfo=UTC)))
        session.add_all([earlier, later])
        session.flush()
        consent_for(session, classroom.student_ids[:1])
        for minute in (2, 3):
            count_sighting(session, class_session_id=classroom.session_id,
                           student_id=classroom.student_ids[0], min_sightings=2,
                           seen_at=datetime(2026, 3, 2, 8, minute, tzinfo=UTC))
        return earlier.id, later.id


def test_the_home_page_is_today(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("alice")
    assert client.get("/").headers["Location"] == "/today/"
    page = client.get("/today/").get_data(as_text=True)
    assert '<a href="/today/" aria-current="page">Today</a>' in page


def test_today_shows_own_sessions_now_next_and_earlier(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    earlier, later = _day(session_factory, classroom)
    auth.login("alice")
    page = client.get("/today/").get_data(as_text=True)
    assert page.index("On now") < page.index("Next") < page.index("Earlier today")
    assert f'href="/sessions/{classroom.session_id}"' in page
    assert f'href="/sessions/{later}"' in page
    assert f'href="/sessions/{earlier}"' in page
    assert "09:00–10:30 <span class=\"muted\">Europe/Berlin</span>" in page
    assert "starts in 210 min" in page
    assert "CHEM1" not in page  # Bob's course
    counts = dict((label, int(n)) for n, label in re.findall(
        r'<span class="count-n">(\d+)</span> ([a-z ]+)</li>', page))
    assert counts == {"present": 1, "late": 0, "not seen yet": 1, "cannot be recognised": 2}
    assert "rate over 1 recorded student; left out: 1 not recorded yet" in page
    auth.logout()
    auth.login("admin")
    assert "CHEM1" in client.get("/today/").get_data(as_text=True)  # admins: every course


def test_today_refreshes_itself_within_the_csp(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _day(session_factory, classroom)
    auth.login("alice")
    response = client.get("/today/")
    page = response.get_data(as_text=True)
    assert "script-src" not in response.headers["Content-Security-Policy"]  # 'self' only
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/live.js" defer>']  # a static file, never inline
    version = re.search(r'data-live-version="([0-9a-f]+)"', page)
    assert version is not None
    assert 'data-live-url="/today/live.json"' in page
    live = client.get("/today/live.json")
    assert live.headers["Cache-Control"] == "no-store"
    data = live.get_json()
    assert data["live"] is True
    assert data["version"] == version.group(1)  # nothing changed: nothing to redraw
    assert "On now" in data["parts"]["today-sessions"]
    with session_factory.begin() as session:
        count_sighting(session, class_session_id=classroom.session_id,
                       student_id=classroom.student_ids[1], min_sightings=1,
                       seen_at=datetime(2026, 3, 2, 8, 20, tzinfo=UTC))
    changed = client.get("/today/live.json").get_json()
    assert changed["version"] != version.group(1)
    assert '<span class="count-n">1</span> late' in changed["parts"]["today-sessions"]
    with client.get("/static/live.js") as static:
        assert static.status_code == 200
        assert b"data-live-url" in static.data


def test_a_day_without_sessions_does_not_poll(
    client: FlaskClient, auth: AuthActions, people: People,
) -> None:
    auth.login("bob")
    page = client.get("/today/").get_data(as_text=True)
    assert "None of your courses meets today." in page
    assert "data-live-url" not in page
    assert "<script" not in page


def test_a_scheduled_course_without_a_session_is_named(
    client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """BIO101 meets on Mondays; a week later no session exists for it yet."""
    monkeypatch.setattr("webui.today.views.utcnow", lambda: NOW + timedelta(days=7))
    auth.login("alice")
    page = client.get("/today/").get_data(as_text=True)
    assert "Scheduled today, but no session created" in page
    assert f'href="/courses/{classroom.course_id}/sessions"' in page


def test_polls_do_not_keep_a_session_alive(
    app: Flask, client: FlaskClient, auth: AuthActions, classroom: Classroom,
    session_factory: sessionmaker[Session],
) -> None:
    _day(session_factory, classroom)
    clock = [1_000_000.0]
    app.extensions[CLOCK_KEY] = lambda: clock[0]
    auth.login("alice")
    for _ in range(3):  # 3 × 12 minutes of polling only
        clock[0] += 12 * 60
        response = client.get("/today/live.json")
        if clock[0] - 1_000_000.0 <= 30 * 60:
            assert response.status_code == 200
    assert response.status_code == 302  # 36 idle minutes: signed out despite the polls
    assert response.headers["Location"].startswith("/auth/login")
    sessions_poll = client.get(f"/sessions/{classroom.session_id}/live.json")
    assert sessions_poll.status_code == 302
