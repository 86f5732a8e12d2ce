"""``attendance camera``: register the classroom cameras workers read from."""

from __future__ import annotations

import click

from .camera_sources import has_secrets, redact_source
from .cli_support import cli_settings, cli_template_cipher, cli_transaction, domain_errors_as_click
from .services.camera_changes import (
    CameraInUse,
    courses_filmed_by,
    remove_camera,
    update_camera,
)
from .services.cameras import create_camera, get_camera, issue_camera_token, list_cameras


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


@camera.command("update")
@click.argument("name")
@click.option("--name", "new_name", metavar="NEW", help="Rename the camera.")
@click.option("--source", metavar="SOURCE",
              help="A new source: device index, video file, or rtsp:// / http(s):// URL "
                   "(credentials in it are stored encrypted).")
@domain_errors_as_click
def update(name: str, new_name: str | None, source: str | None) -> None:
    """Rename camera NAME and/or give it a new source. A running worker of the camera
    starts again with the change at its next refresh."""
    if new_name is None and source is None:
        raise click.UsageError("give --name and/or --source")
    settings = cli_settings()
    cipher = cli_template_cipher(settings) if source and has_secrets(source) else None
    with cli_transaction(settings) as session:
        row = get_camera(session, name)
        changed = update_camera(session, row.id, name=new_name, source=source, cipher=cipher,
                                actor="cli")
        summary = (f"Camera {row.name!r}: {' and '.join(changed)} changed; it reads "
                   f"{redact_source(row.source)}." if changed else
                   f"Camera {row.name!r} unchanged.")
    click.echo(summary)


@camera.command("remove")
@click.argument("name")
@click.option("--detach", is_flag=True,
              help="If courses use the camera, detach it from them without asking.")
@domain_errors_as_click
def remove(name: str, detach: bool) -> None:
    """Remove camera NAME (its worker token and teacher offers go with it). If courses
    use it, you are asked whether to detach it from them or cancel."""
    settings = cli_settings()
    with cli_transaction(settings) as session:  # read, then ask with no transaction open
        row = get_camera(session, name)
        camera_id, codes = row.id, [c.code for c in courses_filmed_by(session, row.id)]
    if codes and not detach:
        detach = click.confirm(
            f"Camera {name!r} films {len(codes)} course(s): {', '.join(codes)}. Detach it "
            "from them (they keep their sessions and records) and remove it?", default=False)
        if not detach:
            raise click.ClickException("Cancelled: nothing was removed.")
    with cli_transaction(settings) as session:
        try:
            done = remove_camera(session, camera_id, detach=detach, actor="cli")
        except CameraInUse as exc:  # a course took the camera since the question
            raise click.ClickException(str(exc)) from exc
    detached = f"; detached from {', '.join(done.detached)}" if done.detached else ""
    click.echo(f"Removed camera {done.name!r}{detached}.")
