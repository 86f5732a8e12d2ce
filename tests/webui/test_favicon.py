"""``/favicon.ico`` answers with the icon (browsers ask for it on every site), signed in or
not, and every page names it."""

from __future__ import annotations

from flask.testing import FlaskClient

from .conftest import AuthActions


def test_the_favicon_is_served_to_anyone(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.headers["Cache-Control"] == "public, max-age=86400"


def test_pages_link_the_icon(client: FlaskClient, auth: AuthActions) -> None:
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/auth/login").get_data(
        as_text=True)
    auth.login("alice")
    assert client.get("/favicon.ico").status_code == 200
