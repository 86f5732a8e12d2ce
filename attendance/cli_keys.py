"""``attendance keys``: the template encryption keys (``attendance.crypto``)."""

from __future__ import annotations

import click

from .cli_support import cli_settings, cli_template_cipher, cli_transaction, domain_errors_as_click
from .crypto import key_directory
from .services.audit import record_audit
from .services.template_keys import keys_in_use, rotate_templates


@click.group()
def keys() -> None:
    """Encryption keys of face templates and face images."""


@keys.command()
@domain_errors_as_click
def rotate() -> None:
    """Re-encrypt with the current key every embedding, kept photo, thumbnail and camera
    source holding credentials.

    Set ``template_key_id`` to a new id first (its key file is created on first use), run
    this, and keep the old key file until this reports that no row uses it any more.
    """
    settings = cli_settings()
    cipher = cli_template_cipher(settings)
    with cli_transaction(settings) as session:
        report = rotate_templates(session, cipher, settings.instance_path)
        record_audit(session, actor="cli", action="keys.rotate",
                     details={"key_id": report.key_id, "embeddings": report.embeddings,
                              "photos": report.photos, "thumbnails": report.thumbnails,
                              "camera_sources": report.camera_sources})
        in_use = keys_in_use(session)
    click.echo(f"Rotated: {report.summary()}.")
    old = sorted(k for k in in_use if k not in (None, cipher.key_id))
    click.echo(f"Keys in {key_directory(settings)} still needed: "
               f"{', '.join([cipher.key_id, *old])}.")
