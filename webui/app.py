"""The application factory: one named step per concern (newdle's ``create_app``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.wrappers import Response

from attendance.config import Settings, load_settings
from attendance.db import make_engine, make_session_factory

from . import access, db, errors, i18n, input_guard, public_links, security, words
from .auth import own_password, session_limits
from .auth.identity import load_identity
from .auth.throttle import LoginLimits
from .auth.views import bp as auth_bp
from .cameras.changes import bp as camera_changes_bp
from .cameras.views import bp as cameras_bp
from .checkin.views import bp as checkin_bp
from .courses.views import bp as courses_bp
from .embedders import init_app as init_embedders
from .erasure.views import bp as erasure_bp
from .exports.views import bp as exports_bp
from .extensions import csrf, login_manager
from .formatting import register_filters
from .history.views import bp as history_bp
from .i18n import N_
from .privacy.views import bp as privacy_bp
from .review.views import bp as review_bp
from .roster_import.views import bp as roster_import_bp
from .sessions.views import bp as sessions_bp
from .students.kept_photos import bp as kept_photos_bp
from .students.views import bp as students_bp
from .today.views import bp as today_bp
from .users.views import bp as users_bp

#: Room for the form fields and multipart framing around the photos, bytes.
_FORM_OVERHEAD_BYTES = 1024 * 1024

#: Every feature's blueprint, registered in this order.
BLUEPRINTS = (auth_bp, courses_bp, sessions_bp, students_bp, roster_import_bp, exports_bp,
              cameras_bp, history_bp, review_bp, privacy_bp, checkin_bp, today_bp, users_bp,
              erasure_bp, camera_changes_bp, kept_photos_bp)

#: ``overrides`` keys that are not Flask config: the database and the face models to use.
SESSION_FACTORY_KEY = "SESSION_FACTORY"
EMBEDDERS_KEY = "EMBEDDERS"


def create_app(
    settings: Settings | None = None, overrides: Mapping[str, Any] | None = None
) -> Flask:
    """Build the dashboard for ``settings`` (default: :func:`load_settings`).

    ``overrides`` are Flask config values applied last (flaskr's ``test_config``), plus two
    injection points for tests and embedding: ``SESSION_FACTORY`` (a ``sessionmaker`` to use
    instead of one on ``settings.database_url``) and ``EMBEDDERS`` (a list of embedders used by
    the enrollment form instead of loading the configured models).
    """
    settings = settings if settings is not None else load_settings()
    extra = dict(overrides or {})
    factory: sessionmaker[Session] | None = extra.pop(SESSION_FACTORY_KEY, None)
    embedders = extra.pop(EMBEDDERS_KEY, None)

    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    _configure_app(app, settings, extra)
    _configure_database(app, settings, factory)
    _configure_extensions(app)
    init_embedders(app, settings, embedders)
    input_guard.init_app(app)  # first: no hook or view ever sees a control character
    session_limits.init_app(app, settings)  # before the login requirement: expiry first
    security.init_app(app)
    own_password.init_app(app)  # after the login requirement: a one-time password first
    errors.init_app(app)
    register_filters(app)
    words.register_globals(app)
    access.init_app(app)
    public_links.init_app(app)
    _register_blueprints(app)
    return app


def _configure_app(app: Flask, settings: Settings, overrides: Mapping[str, Any]) -> None:
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
        MAX_CONTENT_LENGTH=settings.max_image_bytes * settings.max_photos_per_upload
        + _FORM_OVERHEAD_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.config.from_mapping(overrides)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.extensions["attendance.settings"] = settings


def _configure_database(
    app: Flask, settings: Settings, factory: sessionmaker[Session] | None
) -> None:
    if factory is None:
        engine = make_engine(settings)
        app.extensions["attendance.engine"] = engine
        factory = make_session_factory(engine)
    db.init_app(app, factory)


def _configure_extensions(app: Flask) -> None:
    csrf.init_app(app)
    i18n.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_identity)
    app.extensions["attendance.login_throttle"] = LoginLimits()


def _register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    def index() -> Response:
        """The home page: today's sessions of the user's courses."""
        return redirect(url_for("today.index"))

    icon = (Path(app.static_folder or "static") / "favicon.ico").read_bytes()

    def favicon() -> Response:
        """Browsers ask for ``/favicon.ico`` whatever the page says: the same icon."""
        return Response(icon, mimetype="image/vnd.microsoft.icon",
                        headers={"Cache-Control": "public, max-age=86400"})

    app.add_url_rule("/", "index", index)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
