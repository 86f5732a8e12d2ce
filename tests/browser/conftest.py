"""Browser tests: the real dashboard served on a free local port, driven by Debian's Chromium.

The app runs from :func:`webui.create_app` on a SQLite file migrated with the real Alembic
revisions, in a werkzeug server thread. Chromium is ``/usr/bin/chromium`` (never a browser
downloaded by ``playwright install``); the tests are skipped, with the reason, only when it is
missing. Screenshots go to ``ATTENDANCE_SCREENSHOT_DIR`` (default
``<repo>/test-artifacts/screenshots``) and the folder is named in the terminal summary.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

from attendance import migrate
from attendance.config import Settings
from attendance.db import make_engine, make_session_factory
from attendance.services.users import create_user
from models import Embedder, load_embedders
from tests.conftest import make_settings
from webui import catalogues, create_app

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # A synthetic webcam that needs no permission prompt, for the enrollment capture.
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]
ADMIN = "admin"
ADMIN_PASSWORD = "browser-test-password"  # noqa: S105 - a throwaway test account
_SCREENSHOTS_KEY = pytest.StashKey[Path]()


def screenshot_folder() -> Path:
    configured = os.environ.get("ATTENDANCE_SCREENSHOT_DIR")
    return Path(configured) if configured else REPO / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path:
    """The folder the browser tests save their PNGs in (created; named in the summary)."""
    folder = screenshot_folder().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[_SCREENSHOTS_KEY] = folder
    return folder


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    folder = terminalreporter.config.stash.get(_SCREENSHOTS_KEY, None)
    if folder is not None:
        shots = sorted(folder.glob("*.png"))
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"{len(shots)} screenshot(s) in {folder}")


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}; run scripts/ensure_chromium.sh")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues() -> None:
    """As tests/webui: the Spanish pages need the compiled catalogues (scripts/setup.sh)."""
    catalogues.compile_if_stale()


@pytest.fixture(scope="session")
def dlib() -> Embedder:
    """The real dlib ResNet embedder, shared by the dashboard and the simulated worker."""
    return load_embedders(["dlib"])[0]


@dataclass
class LiveServer:
    url: str
    app: Flask
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]


@pytest.fixture
def live_server(tmp_path: Path, dlib: Embedder) -> Iterator[LiveServer]:
    """The dashboard on a migrated SQLite file, with an admin account, on a free port."""
    settings = make_settings(tmp_path)
    url = settings.effective_database_url
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        create_user(session, username=ADMIN, password=ADMIN_PASSWORD, role="admin")
    app = create_app(settings, overrides={"SESSION_FACTORY": factory, "EMBEDDERS": [dlib]})
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, settings, engine,
                         factory)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="en-GB",
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def login(page: Page) -> None:
    page.goto("/auth/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/today/")
