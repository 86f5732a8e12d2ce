"""Signing in and out, throttling, and the login requirement on every page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webui.auth.throttle import LoginThrottle
from webui.auth.views import BAD_CREDENTIALS, THROTTLED

from .conftest import PASSWORD, AuthActions


def test_login_page_is_public(client: FlaskClient) -> None:
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert b'<label for="username">Username</label>' in response.data


def test_every_other_page_requires_login(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        # Public on purpose: signing in, assets (the browser's icon too), and the students'
        # non-biometric check-in.
        if rule.endpoint in {"auth.login", "static", "checkin.form", "favicon"}:
            continue
        url = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/auth/login"), (method, url)
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("db_kind", ["sqlite", "postgresql"], indirect=True)
def test_login_and_logout(client: FlaskClient, auth: AuthActions) -> None:
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert b"alice (teacher)" in client.get("/courses/").data
    assert auth.logout().status_code == 302
    assert client.get("/courses/").status_code == 302


def test_login_redirects_to_next_only_on_this_site(client: FlaskClient, auth: AuthActions) -> None:
    data = {"username": "alice", "password": PASSWORD}
    assert client.post("/auth/login?next=/students/", data=data).headers["Location"] == "/students/"
    client.post("/auth/logout")
    evil = client.post("/auth/login?next=//evil.example/x", data=data)
    assert evil.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password"), ("nobody", PASSWORD)]
)
def test_same_message_for_unknown_user_and_wrong_password(
    client: FlaskClient, auth: AuthActions, username: str, password: str
) -> None:
    response = auth.login(username, password)
    assert response.status_code == 401
    assert BAD_CREDENTIALS.encode() in response.data


def test_throttled_after_five_failures(client: FlaskClient, auth: AuthActions) -> None:
    for _ in range(5):
        assert auth.login("alice", "wrong").status_code == 401
    # Even the right password is refused now, without being checked.
    response = auth.login("alice", PASSWORD)
    assert response.status_code == 429
    assert THROTTLED.encode() in response.data
    # Another username from the same address is not affected.
    assert auth.login("bob", PASSWORD).status_code == 302


def test_throttle_window_slides() -> None:
    now = [0.0]
    throttle = LoginThrottle(max_failures=2, window_seconds=10, clock=lambda: now[0])
    key = throttle.key("10.0.0.1", " Alice ")
    assert key == ("10.0.0.1", "alice")
    throttle.record_failure(key)
    throttle.record_failure(key)
    assert throttle.is_blocked(key)
    now[0] = 10.5
    assert not throttle.is_blocked(key)
    throttle.record_failure(key)
    throttle.reset(key)
    assert not throttle.is_blocked(key)


def test_logout_needs_post(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    assert client.get("/auth/logout").status_code == 405
