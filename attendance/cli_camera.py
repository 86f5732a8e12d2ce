"""``attendance camera``: register the classroom cameras workers read from."""

from __future__ import annotations

import click

from .camera_sources import has_secrets, redact_source
from .cli_support import cli_settings, cli_template_cipher, cli_transaction, domain_errors_as_click
from .services.cameras import create_camera, issue_camera_token, list_cameras


@click.group()
def camera() -> None:
    """Manage classroom cameras."""


@camera.command("add")
@click.argument("name")
@click.argument("source")
@domain_errors_as_click
def add(name: str, source: str) -> None:
    """Register camera NAME reading SOURCE: a device index (0), a video file, or an
    rtsp:// or http(s):// URL. A URL with credentials is stored encrypted with the template
    key and shown only without them."""
    settings = cli_settings()
    cipher = cli_template_cipher(settings) if has_secrets(source) else None
    with cli_transaction(settings) as session:
        row = create_camera(session, name=name, source=source, cipher=cipher)
        summary = f"Added camera {row.name!r} (id {row.id}) reading {redact_source(row.source)}."
    click.echo(summary)


@camera.command("token")
@click.argument("name")
@domain_errors_as_click
def token(name: str) -> None:
    """Print a new worker token for camera NAME, once; any older token stops working.

    Give it to that classroom's 'attendance worker --camera NAME' as ATTENDANCE_WORKER_TOKEN
    or in a file passed with --token-file (readable only by the worker's user).
    """
    with cli_transaction(cli_settings()) as session:
        secret = issue_camera_token(session, name)
    click.echo(secret)
    click.echo(f"New worker token for camera {name!r} (shown only now).", err=True)


@camera.command("list")
@domain_errors_as_click
def list_() -> None:
    """List cameras with their source (credentials never shown) and last heartbeat (UTC)."""
    with cli_transaction(cli_settings()) as session:
        lines = [
            f"{c.name}\t{redact_source(c.source)}\t"
            f"{c.last_heartbeat_at.isoformat() if c.last_heartbeat_at else 'never seen'}"
            for c in list_cameras(session)
        ]
    click.echo(
        "\n".join(lines) if lines else "No cameras yet; add one with 'attendance camera add'."
    )
