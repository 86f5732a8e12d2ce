"""The start-up check of ``attendance serve``: no production server with a guessable secret
key or with debug mode on.

A weak key lets anyone forge a session cookie (sign in as any teacher); debug mode serves
tracebacks and, with the Werkzeug debugger, a remote Python shell.
"""

from __future__ import annotations

import logging

from flask import Flask

from attendance.config import Settings
from attendance.errors import ConfigError

logger = logging.getLogger(__name__)

#: Shortest secret key accepted in production, characters (the generated one has 64).
MIN_SECRET_KEY_LENGTH = 32
#: Placeholders seen in tutorials and example files, compared case-insensitively.
KNOWN_WEAK_KEYS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "changeme", "change-me",
    "change_me", "please-change-me", "default", "test", "testing", "password", "flask",
    "your-secret-key", "your_secret_key", "super-secret", "supersecret", "attendance",
})


def production_problems(app: Flask, settings: Settings) -> list[str]:
    """Why ``app`` must not serve in production; empty when it may."""
    problems: list[str] = []
    key = str(app.config.get("SECRET_KEY") or "")
    if key.strip().lower() in KNOWN_WEAK_KEYS or len(set(key)) < 8:
        problems.append("the secret key is a well-known placeholder or has too few distinct "
                        "characters")
    elif len(key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"the secret key is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if app.debug or app.config.get("DEBUG"):
        problems.append("debug mode is on (FLASK_DEBUG): it shows tracebacks to visitors")
    return problems


def ensure_safe_to_serve(app: Flask, settings: Settings) -> None:
    """Raise :class:`ConfigError` in ``production`` when :func:`production_problems` finds
    anything; in ``development`` log each problem as a warning instead."""
    problems = production_problems(app, settings)
    if not problems:
        return
    if settings.environment == "production":
        raise ConfigError(
            "refusing to serve in production: " + "; ".join(problems) + ". Leave secret_key "
            "empty to use the generated one, turn debug off, or set environment = "
            "\"development\" on a machine nobody else can reach."
        )
    for problem in problems:
        logger.warning("development mode: %s", problem)
