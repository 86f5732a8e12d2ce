"""Bulk enrollment from a folder of photos, one transaction per student.

Two layouts are read:

- **one sub-folder per student**, named ``<student number> <name>``, e.g.
  ``photos/20231234 Ada Lovelace/front.jpg``. The number is everything before the first space,
  the name everything after it (a folder named only ``<student number>`` reuses the stored
  name of a known student). Files ending in .jpg, .jpeg, .png, .webp, .bmp, .tif, .tiff or
  .gif are read, in name order; hidden files are ignored.
- **a CSV manifest** with the header ``student_number,name,image_path``, one row per photo;
  relative image paths are taken from the enrolled folder.

Only regular files inside the folder are read (``enrollment.folder_entries``): links leading
out of it, broken links, link loops, pipes, sockets and devices are skipped without being
opened, and so are manifest rows with an absolute or climbing (``..``) path or a control
character in any field; each skipped entry is listed with its reason in the summary.

Every student is enrolled in a transaction of their own: a rejected photo or a refused student
is reported and the run goes on, and running it again only skips what is already stored.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.control_chars import control_character_problem
from attendance.db import read_only_factory
from attendance.errors import InvalidInput
from models import Embedder

from .folder_entries import MISSING, entry_problem, manifest_path_problem, read_regular_file
from .service import (
    EnrollmentRequest,
    EnrollmentResult,
    PhotoUpload,
    prepare_enrollment,
    read_enrollment_context,
    store_enrollment,
)

logger = logging.getLogger(__name__)

MANIFEST_COLUMNS = ("student_number", "name", "image_path")


@dataclass(frozen=True)
class StudentBatch:
    """The photos found for one student; ``name`` is None when the layout gives none."""

    student_number: str
    name: str | None
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class FolderPlan:
    """What :func:`plan_folder` found: the students to enroll, and every entry (a path
    relative to the folder, or a manifest row) skipped with the reason, in that order."""

    batches: list[StudentBatch]
    skipped: list[tuple[str, str]]


@dataclass
class FolderSummary:
    """The outcome of :func:`enroll_folder`."""

    results: list[EnrollmentResult] = field(default_factory=list)
    #: Students refused as a whole, or files that could not be read: (student number, why).
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: Entries never read, (entry, why): links out of the folder, pipes, bad manifest rows.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def students_enrolled(self) -> int:
        """Students with at least one photo accepted in this run."""
        return sum(1 for r in self.results if r.accepted)

    @property
    def photos_accepted(self) -> int:
        return sum(r.accepted for r in self.results)

    @property
    def photos_skipped(self) -> int:
        return sum(r.skipped for r in self.results)

    @property
    def photos_rejected(self) -> int:
        return sum(r.rejected for r in self.results)


def plan_folder(directory: Path, manifest: Path | None = None) -> FolderPlan:
    """List the students and photo paths in ``directory`` (or in ``manifest``), and the
    entries skipped; nothing is opened but the manifest."""
    if not directory.is_dir():
        raise InvalidInput("%(directory)s is not a folder", directory=directory)
    if manifest is not None:
        return _plan_manifest(directory, manifest)
    batches: list[StudentBatch] = []
    skipped: list[tuple[str, str]] = []
    for sub in sorted(directory.iterdir()):
        if sub.name.startswith("."):
            continue
        problem = entry_problem(sub, directory, folder=True)
        if problem is not None:
            skipped.append((sub.name, problem))
            continue
        number, _, name = sub.name.strip().partition(" ")
        # Every visible regular file is offered, whatever its name: the decoder refuses what
        # is not an image we accept, and the refusal (with its reason) appears in the summary.
        paths = []
        for entry in sorted(sub.iterdir()):
            if entry.name.startswith("."):
                continue
            why = entry_problem(entry, directory)
            if why is None:
                paths.append(entry)
            else:
                skipped.append((f"{sub.name}/{entry.name}", why))
        batches.append(StudentBatch(number, name.strip() or None, tuple(paths)))
    return FolderPlan(batches, skipped)


def _plan_manifest(directory: Path, manifest: Path) -> FolderPlan:
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                raise InvalidInput(
                    "%(manifest)s: the header must be %(columns)s; missing %(missing)s",
                    manifest=manifest, columns=','.join(MANIFEST_COLUMNS),
                    missing=', '.join(sorted(missing))
                )
            rows = [(reader.line_num, (r["student_number"] or "").strip(),
                     (r["name"] or "").strip(), (r["image_path"] or "").strip())
                    for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput("cannot read the manifest %(manifest)s: %(exc)s",
                           manifest=manifest, exc=exc) from exc
    names: dict[str, str | None] = {}
    paths: dict[str, list[Path]] = {}
    skipped: list[tuple[str, str]] = []
    for line, number, name, image in rows:
        label = f"{manifest.name} line {line}"
        problem = next((p for text, what in ((number, "student_number"), (name, "name"),
                                             (image, "image_path"))
                        if (p := control_character_problem(text, what)) is not None), None)
        if problem is None and image:
            why = manifest_path_problem(image) or entry_problem(directory / image, directory)
            # A missing file stays in the batch: reading it reports it, as for any student.
            problem = None if why in (None, MISSING) else f"image_path {image!r} {why}"
        if problem is not None:
            skipped.append((label, f"row refused: {problem}"))
            continue
        names.setdefault(number, None)
        if name and names[number] is None:
            names[number] = name
        if image:
            paths.setdefault(number, []).append(directory / image)
    batches = [StudentBatch(n, names[n], tuple(paths.get(n, []))) for n in names]
    return FolderPlan(batches, skipped)


def enroll_folder(
    session_factory: sessionmaker[Session],
    settings: Settings,
    embedders: Sequence[Embedder],
    directory: Path,
    *,
    manifest: Path | None = None,
    consent_by: str,
    allow_duplicate: bool = False,
    actor: str = "cli",
    after_student: Callable[[Session, EnrollmentResult], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FolderSummary:
    """Enroll every student in ``directory`` (layouts: see the module docstring).

    Each student is enrolled in its own transaction, committed before the next one starts;
    it holds only the writes (photos are read, checked and embedded before it begins), so
    the dashboard and camera workers sharing the database wait for it only briefly.
    ``consent_by`` is recorded for every student (the operator asserts consent was given).
    ``after_student`` runs inside a student's transaction once they are stored (e.g. to put
    them on a course roster); ``progress(done, total)`` is called before the first and after
    each student.
    """
    plan = plan_folder(directory, manifest)
    batches = plan.batches
    read_factory = read_only_factory(session_factory)
    summary = FolderSummary(skipped=list(plan.skipped))
    for entry, why in plan.skipped:
        logger.warning("skipped %s: %s", entry, why)
    if progress is not None:
        progress(0, len(batches))
    for done, batch in enumerate(batches, start=1):
        uploads, unreadable = _read(batch.paths, settings.max_image_bytes)
        summary.errors.extend((batch.student_number, why) for why in unreadable)
        request = EnrollmentRequest(
            student_number=batch.student_number, display_name=batch.name,
            consent_by=consent_by, photos=uploads, allow_duplicate=allow_duplicate, actor=actor,
        )
        try:
            with read_factory() as session:
                context = read_enrollment_context(session, settings, embedders, request)
            prepared = prepare_enrollment(context, settings, embedders)  # no transaction open
            with session_factory.begin() as session:
                result = store_enrollment(session, settings, embedders, prepared)
                if after_student is not None and result.student_id is not None:
                    after_student(session, result)
            summary.results.append(result)
        except InvalidInput as exc:
            logger.warning("student %s refused: %s", batch.student_number, exc)
            summary.errors.append((batch.student_number, str(exc)))
        if progress is not None:
            progress(done, len(batches))
    return summary


def _read(paths: Sequence[Path], max_bytes: int) -> tuple[list[PhotoUpload], list[str]]:
    """Read each file, at most ``max_bytes + 1`` bytes (enough for the size check to refuse)."""
    uploads, errors = [], []
    for path in paths:
        try:
            uploads.append(PhotoUpload(path.name, read_regular_file(path, max_bytes + 1)))
        except OSError as exc:
            errors.append(f"{path}: cannot be read ({exc.strerror or exc})")
    return uploads, errors


def iter_rejections(summary: FolderSummary) -> Iterator[tuple[str, str, str]]:
    """(student number, message, reason code) of every rejected photo, in run order."""
    for result in summary.results:
        for photo in result.photos:
            if photo.reason is not None:
                yield result.student_number, photo.message, photo.reason


__all__ = ["FolderPlan", "FolderSummary", "StudentBatch", "enroll_folder", "iter_rejections",
           "plan_folder"]
