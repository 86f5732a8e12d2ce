"""The Users page: accounts for admins only, one-time passwords, resets, deactivation,
roles, and the school's last active admin."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attendance.db import AuditLog, User

from .conftest import PASSWORD, AuthActions, People


def _one_time_password(html: str) -> str:
    match = re.search(r'<code class="one-time-password">([^<]+)</code>', html)
    assert match is not None, html
    return match.group(1)


def _user(factory: sessionmaker[Session], name: str) -> User:
    with factory() as session:
        user = session.scalar(select(User).where(User.username == name))
        assert user is not None
        return user


def test_teachers_have_no_users_page(client: FlaskClient, auth: AuthActions,
                                     people: People) -> None:
    auth.login("alice")
    assert 'href="/users/"' not in client.get("/courses/").get_data(as_text=True)
    assert client.get("/users/").status_code == 403
    for url in ("/users/", f"/users/{people.bob}/password", f"/users/{people.bob}/deactivate",
                f"/users/{people.bob}/role"):
        assert client.post(url, data={"username": "x", "role": "admin"}).status_code == 403


def test_admin_lists_accounts(client: FlaskClient, auth: AuthActions) -> None:
    auth.login("admin")
    page = client.get("/users/").get_data(as_text=True)
    assert 'href="/users/" aria-current="page">Users</a>' in page
    for name in ("admin", "alice", "bob"):
        assert f"{name}" in page
    assert "Deactivate alice" in page
    assert "Deactivate admin" not in page  # never one's own account


def test_a_new_account_signs_in_once_with_the_one_time_password(
    app: Flask, client: FlaskClient, auth: AuthActions,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    response = client.post("/users/", data={"username": "carol", "role": "teacher"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    password = _one_time_password(html)
    assert "It is shown only now." in html
    assert password not in client.get("/users/").get_data(as_text=True)
    carol = app.test_client()
    carol.post("/auth/login", data={"username": "carol", "password": password})
    first = carol.get("/courses/")
    assert first.status_code == 302
    assert first.headers["Location"].endswith("/auth/password")
    page = carol.get("/auth/password").get_data(as_text=True)
    assert "Choose your own password" in page
    carol.post("/auth/password", data={"current_password": password,
                                       "new_password": "carol's own pw",
                                       "confirm": "carol's own pw"})
    carol.post("/auth/login", data={"username": "carol", "password": "carol's own pw"})
    assert carol.get("/courses/").status_code == 200
    assert not _user(session_factory, "carol").must_change_password
    with session_factory() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "user.create")).one()
    assert (entry.actor, entry.details) == ("admin", {"username": "carol", "role": "teacher"})


def test_bad_new_accounts_are_refused_with_a_reason(client: FlaskClient,
                                                    auth: AuthActions) -> None:
    auth.login("admin")
    bad = client.post("/users/", data={"username": "no spaces please", "role": "teacher"})
    assert bad.status_code == 400
    assert "is invalid; use 1-100 letters" in bad.get_data(as_text=True)
    taken = client.post("/users/", data={"username": "alice", "role": "teacher"})
    assert taken.status_code == 409
    assert "user &#39;alice&#39; already exists" in taken.get_data(as_text=True)
    role = client.post("/users/", data={"username": "dave", "role": "root"})
    assert role.status_code == 400
    assert client.post("/users/", data={}).status_code == 400


def test_a_reset_ends_the_sessions_and_needs_a_new_password(
    app: Flask, client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    alice = app.test_client()
    alice.post("/auth/login", data={"username": "alice", "password": PASSWORD})
    assert alice.get("/courses/").status_code == 200
    auth.login("admin")
    response = client.post(f"/users/{people.alice}/password")
    assert response.status_code == 200
    password = _one_time_password(response.get_data(as_text=True))
    assert "Their open sessions have ended." in response.get_data(as_text=True)
    assert alice.get("/courses/").status_code == 302  # signed out
    assert alice.post("/auth/login", data={"username": "alice",
                                           "password": PASSWORD}).status_code == 401
    alice.post("/auth/login", data={"username": "alice", "password": password})
    assert alice.get("/courses/").headers["Location"].endswith("/auth/password")
    with session_factory() as session:
        entry = session.scalars(
            select(AuditLog).where(AuditLog.action == "user.password_reset")).one()
    assert (entry.target_id, entry.user_id) == (people.alice, people.admin)
    assert password not in str(entry.details)


def test_deactivate_and_reactivate(
    app: Flask, client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    bob = app.test_client()
    bob.post("/auth/login", data={"username": "bob", "password": PASSWORD})
    auth.login("admin")
    page = client.post(f"/users/{people.bob}/deactivate", follow_redirects=True)
    assert "bob is deactivated: they cannot sign in" in page.get_data(as_text=True)
    assert bob.get("/courses/").status_code == 302
    assert bob.post("/auth/login", data={"username": "bob",
                                         "password": PASSWORD}).status_code == 401
    assert not _user(session_factory, "bob").active
    page = client.post(f"/users/{people.bob}/reactivate", follow_redirects=True)
    assert "bob may sign in again" in page.get_data(as_text=True)
    bob.post("/auth/login", data={"username": "bob", "password": PASSWORD})
    assert bob.get("/courses/").status_code == 200
    assert client.post("/users/999999/deactivate").status_code == 404


def test_roles_change_but_the_last_admin_stays(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    page = client.post(f"/users/{people.alice}/role", data={"role": "admin"},
                       follow_redirects=True)
    assert "alice is an admin now." in page.get_data(as_text=True)
    assert client.post(f"/users/{people.alice}/role", data={"role": "nobody"}).status_code == 400
    # With another admin, the admin still cannot demote themselves: another admin does.
    own = client.post(f"/users/{people.admin}/role", data={"role": "teacher"})
    assert own.status_code == 409
    assert "You cannot change your own role; ask another admin." in own.get_data(as_text=True)
    assert _user(session_factory, "admin").role == "admin"
    client.post(f"/users/{people.alice}/role", data={"role": "teacher"})
    assert _user(session_factory, "alice").role == "teacher"


def test_the_only_active_admin_is_told_why_they_stay_one(
    client: FlaskClient, auth: AuthActions, people: People,
    session_factory: sessionmaker[Session],
) -> None:
    auth.login("admin")
    for url, data in ((f"/users/{people.admin}/role", {"role": "teacher"}),
                      (f"/users/{people.admin}/deactivate", {})):
        refused = client.post(url, data=data)
        assert refused.status_code == 409
        assert ("admin is the only active admin and cannot be" in
                refused.get_data(as_text=True))
    user = _user(session_factory, "admin")
    assert (user.role, user.active) == ("admin", True)
