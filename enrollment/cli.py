"""``attendance enroll DIR``: bulk enrollment from a folder (see ``enrollment.folder``)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session
from tqdm import tqdm

from attendance.cli_support import (
    cli_settings,
    cli_template_cipher,
    cli_transaction,
    domain_errors_as_click,
)
from attendance.db import make_engine, make_session_factory
from attendance.services.courses import get_course
from attendance.services.roster import add_to_roster
from models import ModelError, load_embedders

from .folder import FolderSummary, enroll_folder, iter_rejections
from .service import EnrollmentResult


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with the header student_number,name,image_path (paths relative to "
                   "DIRECTORY) instead of one sub-folder per student.")
@click.option("--course", "course_code", metavar="CODE",
              help="Also put every enrolled student on this course's roster.")
@click.option("--consent-by", required=True, metavar="WHO",
              help="Who recorded the students' consent (stored with each student).")
@click.option("--allow-duplicates", is_flag=True,
              help="Accept photos that look like another enrolled student: duplicates (almost "
                   "surely the same person) and look-alikes (recognition would take them for "
                   "that student), once you know they show different people (audited).")
@domain_errors_as_click
def enroll(directory: Path, manifest: Path | None, course_code: str | None, consent_by: str,
           allow_duplicates: bool) -> None:
    """Enroll the students in DIRECTORY: one sub-folder per student named
    "<student number> <name>" holding their photos, or a --manifest CSV.

    Each student is stored in a transaction of their own; running the command again only
    skips the photos already stored.
    """
    settings = cli_settings()
    cli_template_cipher(settings)  # refuses to start when a key file that data needs is lost
    course_id = None
    if course_code is not None:
        with cli_transaction(settings) as session:
            course_id = get_course(session, course_code).id  # fail before any work
    embedders = load_embedders(settings.embedders, dlib_jitters=settings.dlib_jitters)

    def put_on_roster(session: Session, result: EnrollmentResult) -> None:
        if course_id is not None and result.student_id is not None:
            add_to_roster(session, course_id, student_ids=[result.student_id])

    engine = make_engine(settings)
    try:
        with tqdm(unit="student", desc="enrolling", disable=None) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            summary = enroll_folder(
                make_session_factory(engine), settings, embedders, directory,
                manifest=manifest, consent_by=consent_by, allow_duplicate=allow_duplicates,
                after_student=put_on_roster, progress=progress,
            )
    except ModelError as exc:  # e.g. the in-house weights are missing
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    _report(summary, course_code)


def _report(summary: FolderSummary, course_code: str | None) -> None:
    click.echo(
        f"students enrolled: {summary.students_enrolled}; photos accepted: "
        f"{summary.photos_accepted}, skipped (already stored): {summary.photos_skipped}, "
        f"rejected: {summary.photos_rejected}; entries not read: {len(summary.skipped)}"
    )
    if course_code is not None:
        click.echo(f"roster of {course_code}: every stored student added")
    resembling = 0
    for number, message, reason in iter_rejections(summary):
        click.echo(f"  rejected [{number}] {message}")
        resembling += reason in ("duplicate", "lookalike")
    for number, message in summary.errors:
        click.echo(f"  error [{number}] {message}")
    for entry, why in summary.skipped:
        click.echo(f"  skipped {entry}: {why}")
    if resembling:
        click.echo(f"{resembling} photo(s) look like another enrolled student. Check them; if "
                   "they show different people, run again with --allow-duplicates (audited).")
