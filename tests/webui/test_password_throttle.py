"""Changing one's password is throttled like signing in: guessing the current password from
a signed-in (perhaps stolen) session is paused after a few wrong tries."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import User
from attendance.services.users import verify_password
from webui.auth.views import CHANGE_PAUSED

from .conftest import PASSWORD, AuthActions, People

NEW = "brand new secret"


def _change(client: FlaskClient, current: str) -> int:
    return client.post("/auth/password", data={
        "current_password": current, "new_password": NEW, "confirm": NEW}).status_code


def test_twelve_wrong_current_passwords_pause_the_change(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("alice")
    statuses = [_change(client, f"guess number {n}") for n in range(12)]
    assert statuses[0] == 400
    assert statuses[-1] == 429
    # The right password now: refused unchecked while the account is paused.
    response = client.post("/auth/password", data={
        "current_password": PASSWORD, "new_password": NEW, "confirm": NEW})
    assert response.status_code == 429
    assert CHANGE_PAUSED in response.get_data(as_text=True)
    with session_factory() as session:
        alice = session.get(User, people.alice)
        assert alice is not None
        assert verify_password(alice, PASSWORD)
        assert not verify_password(alice, NEW)


def test_the_pause_ends_and_a_success_clears_the_count(
    app: Flask, client: FlaskClient, auth: AuthActions, people: People,
) -> None:
    limits = app.extensions["attendance.login_throttle"]
    now = [1_000.0]
    for throttle in (limits.accounts, limits.addresses):
        throttle._clock = lambda: now[0]  # noqa: SLF001 - a fake clock for the window
    auth.login("alice")
    for n in range(limits.accounts.max_failures):
        assert _change(client, f"guess number {n}") == 400
    assert _change(client, PASSWORD) == 429
    now[0] += limits.accounts.window_seconds + 1
    assert _change(client, PASSWORD) == 302
    assert not limits.is_blocked("127.0.0.1", "alice")
