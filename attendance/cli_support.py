"""Small helpers shared by the command-line commands of every package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import click
from sqlalchemy.orm import Session

from .config import Settings, load_settings
from .crypto import TemplateCipher
from .db import make_engine, make_session_factory
from .errors import AttendanceError
from .services.key_check import checked_cipher

P = ParamSpec("P")
R = TypeVar("R")


def cli_settings() -> Settings:
    """Load settings for a command, turning a configuration error into a clean exit."""
    try:
        return load_settings()
    except AttendanceError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def cli_transaction(settings: Settings) -> Iterator[Session]:
    """One transaction for a command: committed on success, rolled back on any error."""
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def cli_template_cipher(settings: Settings) -> TemplateCipher:
    """The template cipher for a command that needs the key, after the start-up check of
    ``attendance.services.key_check`` (a missing key file that data needs ends the command
    with what to restore; it is never silently replaced)."""
    try:
        with cli_transaction(settings) as session:
            return checked_cipher(session, settings)
    except AttendanceError as exc:
        raise click.ClickException(str(exc)) from exc


def domain_errors_as_click(func: Callable[P, R]) -> Callable[P, R]:
    """Show :class:`AttendanceError` as ``Error: <message>`` with exit status 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except AttendanceError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


__all__ = ["cli_settings", "cli_template_cipher", "cli_transaction", "domain_errors_as_click"]
