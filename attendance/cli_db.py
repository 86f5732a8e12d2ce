"""``attendance db``: migrate the database and show where it stands."""

from __future__ import annotations

import click

from . import migrate
from .cli_support import cli_settings
from .db import make_engine


@click.group()
def db() -> None:
    """Database schema: migrate and inspect."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Create or migrate the database schema to the newest version."""
    settings = cli_settings()
    url = settings.effective_database_url
    migrate.upgrade(url, revision)
    click.echo(f"Database at revision {revision}: {_safe(url)}")


@db.command("current")
def current() -> None:
    """Print the database's revision and whether it is up to date."""
    settings = cli_settings()
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        rev = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision(url)
    state = (
        "up to date" if rev == head else f"behind (newest is {head}); run: attendance db upgrade"
    )
    click.echo(f"{rev or 'empty (no schema)'}: {state}")


def _safe(url: str) -> str:
    """The URL without a password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
