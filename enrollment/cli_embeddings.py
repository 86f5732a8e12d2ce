"""``attendance embeddings backfill``: embeddings enrolled photos lack (``enrollment.backfill``)."""

from __future__ import annotations

import click
from tqdm import tqdm

from attendance.cli_support import cli_settings, cli_template_cipher, domain_errors_as_click
from attendance.db import make_engine, make_session_factory
from attendance.services.audit import record_audit
from models import ModelError, load_embedders

from .backfill import BackfillSummary, backfill_embeddings


@click.group()
def embeddings() -> None:
    """The face embeddings stored for enrolled photos."""


@embeddings.command()
@domain_errors_as_click
def backfill() -> None:
    """Add every configured model's missing embeddings to the enrolled photos whose file is
    kept (say, the in-house CNN after enabling it), with a progress bar.

    Safe to run again: photos that already have an embedding of a model's current version are
    left alone. Photos without a kept file are skipped (enroll them again to add the model);
    a photo that cannot be read is reported and the others go on.
    """
    settings = cli_settings()
    cli_template_cipher(settings)  # refuses to start when a key file that data needs is lost
    embedders = load_embedders(settings.embedders, dlib_jitters=settings.dlib_jitters)
    engine = make_engine(settings)
    try:
        factory = make_session_factory(engine)
        with tqdm(unit="photo", desc="embedding", disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            summary = backfill_embeddings(factory, settings, embedders, progress=progress)
        with factory.begin() as session:
            record_audit(session, actor="cli", action="embeddings.backfill",
                         details={"added": dict(summary.added),
                                  "missing_file": summary.missing_file,
                                  "failed": len(summary.failed)})
    except ModelError as exc:  # e.g. the in-house weights are missing
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    _report(summary)


def _report(summary: BackfillSummary) -> None:
    added = ", ".join(f"{n} {name}" for name, n in sorted(summary.added.items())) or "none"
    click.echo(f"{summary.photos} photo(s): embeddings added: {added}; "
               f"{summary.complete} already complete; "
               f"{summary.missing_file} skipped (photo file not kept); "
               f"{len(summary.failed)} failed.")
    for line in summary.failed:
        click.echo(f"  failed: {line}")
    if summary.failed:
        raise click.exceptions.Exit(1)
