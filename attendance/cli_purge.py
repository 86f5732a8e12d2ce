"""``attendance purge``: enforce the retention schedule now (the worker also runs it daily)."""

from __future__ import annotations

import click

from .cli_support import cli_settings, cli_transaction, domain_errors_as_click
from .db import utcnow
from .services.retention import purge_expired


@click.command()
@domain_errors_as_click
def purge() -> None:
    """Delete sightings, thumbnails, photo files and audit entries past their retention
    (settings ``*_retention_days`` and ``keep_photos``); prints what was deleted."""
    settings = cli_settings()
    with cli_transaction(settings) as session:
        report = purge_expired(session, settings, utcnow())
    click.echo(f"Purged: {report.summary()}.")
