"""Sign-in hardening: throttling per account and per address, cookie flags, sessions that end
on sign-out, password change, idle and absolute time-outs."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from webui.auth.session_limits import CLOCK_KEY, EXPIRED
from webui.auth.throttle import ACCOUNT_MAX_FAILURES, ADDRESS_MAX_FAILURES
from webui.auth.views import BAD_CREDENTIALS, THROTTLED

from .conftest import PASSWORD, People


def _login(client: FlaskClient, username: str, password: str, address: str) -> TestResponse:
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_an_account_is_paused_after_five_failures_from_any_addresses(
    client: FlaskClient, people: People
) -> None:
    for i in range(ACCOUNT_MAX_FAILURES):
        assert _login(client, "alice", "wrong", f"10.0.0.{i}").status_code == 401
    # A new address, and the right password: still refused, without checking it.
    refused = _login(client, "alice", PASSWORD, "10.9.9.9")
    assert refused.status_code == 429
    assert THROTTLED.encode() in refused.data
    # Other accounts are not affected.
    assert _login(client, "bob", PASSWORD, "10.9.9.9").status_code == 302


def test_an_address_is_paused_after_twenty_failures_on_any_accounts(
    client: FlaskClient, people: People
) -> None:
    for i in range(ADDRESS_MAX_FAILURES):
        assert _login(client, f"guess{i}", "wrong", "203.0.113.7").status_code == 401
    assert _login(client, "bob", PASSWORD, "203.0.113.7").status_code == 429
    assert _login(client, "bob", PASSWORD, "198.51.100.1").status_code == 302


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: FlaskClient, people: People
) -> None:
    wrong = _login(client, "alice", "wrong password", "10.1.1.1")
    unknown = _login(client, "nobody-here", "wrong password", "10.1.1.2")
    assert wrong.status_code == unknown.status_code == 401
    assert BAD_CREDENTIALS.encode() in wrong.data
    assert wrong.data.replace(b"alice", b"X") == unknown.data.replace(b"nobody-here", b"X")


def _session_cookie_header(response: TestResponse) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_session_cookie_is_httponly_lax_and_secure_over_https(
    client: FlaskClient, people: People
) -> None:
    plain = _session_cookie_header(_login(client, "alice", PASSWORD, "10.2.2.2"))
    assert "HttpOnly" in plain
    assert "SameSite=Lax" in plain
    assert "Secure" not in plain  # plain http on a development machine: cookie must still work
    https = client.post("/auth/login", data={"username": "bob", "password": PASSWORD},
                        base_url="https://school.example")
    header = _session_cookie_header(https)
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def _copy_session(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie (a stolen cookie)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def test_sign_out_ends_every_copy_of_the_session(
    app: Flask, client: FlaskClient, people: People
) -> None:
    _login(client, "alice", PASSWORD, "10.3.3.3")
    thief = _copy_session(app, client)
    assert thief.get("/courses/").status_code == 200
    client.post("/auth/logout")
    assert client.get("/courses/").status_code == 302
    assert thief.get("/courses/").headers["Location"].startswith("/auth/login")


def test_password_change_ends_sessions_and_the_new_password_works(
    app: Flask, client: FlaskClient, people: People
) -> None:
    _login(client, "alice", PASSWORD, "10.4.4.4")
    thief = _copy_session(app, client)
    bad = client.post("/auth/password", data={
        "current_password": "not it at all", "new_password": "brand new secret",
        "confirm": "brand new secret"})
    assert bad.status_code == 400
    assert thief.get("/courses/").status_code == 200
    assert b"Change password" in client.get("/auth/password").data
    done = client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": "brand new secret",
        "confirm": "brand new secret"})
    assert done.status_code == 302
    assert thief.get("/courses/").status_code == 302
    assert client.get("/courses/").status_code == 302
    assert _login(client, "alice", PASSWORD, "10.4.4.5").status_code == 401
    assert _login(client, "alice", "brand new secret", "10.4.4.5").status_code == 302


def test_idle_and_absolute_time_outs(app: Flask, client: FlaskClient, people: People) -> None:
    now = [1_000_000.0]
    app.extensions[CLOCK_KEY] = lambda: now[0]
    _login(client, "alice", PASSWORD, "10.5.5.5")
    # Active every 29 minutes: the idle limit (30 min) never strikes...
    for _ in range(24):
        now[0] += 29 * 60
        assert client.get("/courses/").status_code == 200
    # ... but 12 hours after signing in the session ends anyway (24 * 29 min = 11.6 h).
    now[0] += 29 * 60
    expired = client.get("/courses/")
    assert expired.status_code == 302
    assert expired.headers["Location"].startswith("/auth/login")
    assert EXPIRED.encode() in client.get("/auth/login").data
    # Signed in again, 31 idle minutes also end it.
    _login(client, "alice", PASSWORD, "10.5.5.5")
    now[0] += 31 * 60
    assert client.get("/courses/").status_code == 302
