"""Erasing a student (GDPR Art. 17): every row and file about their face, in one transaction.

Rows (embeddings, photos, sightings, consents, attendance records, review decisions, the
student) are deleted in the caller's transaction, and other faces' sightings stop naming the
student as their nearest match or as the fused score's runner-up. Files (kept enrollment
photos, sighting thumbnails) can not take part in it, so they are deleted only after the
outermost commit of the session; a rollback keeps them, matching the rows that are then
still there. With ``PRAGMA secure_delete=ON`` (``attendance.db.engine``) SQLite zeroes the
freed pages, so the embedding bytes are in no database file or dump afterwards; PostgreSQL
dumps never contain deleted rows.

The audit log keeps every entry, but the student's personal data in it (number, name, email,
photo hashes, ...) is replaced by a random pseudonym (``attendance.services.audit_pseudonyms``);
the erasure's own entry names only that pseudonym. The student's id is never handed out again
(``attendance.db.base.NEVER_REUSE_IDS``), so the entries can never point at someone new.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from .. import access
from ..access import Action, Principal
from ..config import Settings
from ..db import (
    AttendanceRecord,
    Base,
    ClassSession,
    Consent,
    Course,
    Enrollment,
    FaceEmbedding,
    FacePhoto,
    ReviewDecision,
    Sighting,
    Student,
)
from ..errors import NotFound
from ..thumbnail_files import thumbnail_path
from .audit import record_audit
from .audit_pseudonyms import ErasedIdentity, audit_rewrites, new_pseudonym, pseudonymise_audit
from .files import delete_after_commit
from .sightings import evidence_candidates, without_candidates

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureReport:
    """What :func:`erase_student` removed; file counts are the files found, deleted at commit."""

    student_number: str
    embeddings: int
    photos: int
    photo_files: int
    sightings: int
    thumbnails: int
    attendance_records: int
    consents: int
    #: Other faces' sightings that named the student as the nearest match (now unnamed).
    mentions: int = 0
    #: What stands for the student in the audit log from now on.
    pseudonym: str = ""
    #: Audit entries whose personal data was replaced by the pseudonym.
    audit_entries: int = 0

    def summary(self) -> str:
        return (f"{self.embeddings} embedding(s), {self.photos} photo(s) "
                f"({self.photo_files} file(s)), {self.sightings} sighting(s) "
                f"({self.thumbnails} thumbnail(s)), {self.attendance_records} attendance "
                f"record(s), {self.consents} consent record(s), the student named as nearest "
                f"match in {self.mentions} other sighting(s); {self.audit_entries} audit "
                f"entry(ies) now say {self.pseudonym}")


@dataclass(frozen=True)
class ErasurePreview:
    """What :func:`erase_student` would remove now (the confirmation page lists it)."""

    student_id: int
    student_number: str
    display_name: str
    #: Codes of the courses whose rosters the student leaves.
    courses: tuple[str, ...]
    photos: int
    photo_files: int
    embeddings: int
    sightings: int
    thumbnails: int
    attendance_records: int
    consents: int
    review_decisions: int
    #: Other faces' sightings that name the student as the nearest match.
    mentions: int
    #: Audit entries whose personal data about the student becomes a pseudonym.
    audit_entries: int


def preview_erasure(session: Session, settings: Settings, student_id: int) -> ErasurePreview:
    """Count what erasing ``student_id`` would remove, writing nothing; :class:`NotFound`
    when there is no such student."""
    student = session.get(Student, student_id)
    if student is None:
        raise NotFound("student %(student_id)s does not exist", student_id=student_id)
    photo_files, thumbnails = _files(session, settings, student_id)
    courses = session.scalars(select(Course.code).join(
        Enrollment, Enrollment.course_id == Course.id).where(
        Enrollment.student_id == student_id).order_by(Course.code))
    rewrites = audit_rewrites(session, _identity(session, student), new_pseudonym())
    return ErasurePreview(
        student_id=student_id, student_number=student.student_number,
        display_name=student.display_name, courses=tuple(courses),
        photos=_count(session, FacePhoto, FacePhoto.student_id, student_id),
        photo_files=len(photo_files),
        embeddings=_count(session, FaceEmbedding, FaceEmbedding.student_id, student_id),
        sightings=_count(session, Sighting, Sighting.student_id, student_id),
        thumbnails=len(thumbnails),
        attendance_records=_count(session, AttendanceRecord, AttendanceRecord.student_id,
                                  student_id),
        consents=_count(session, Consent, Consent.student_id, student_id),
        review_decisions=_count(session, ReviewDecision, ReviewDecision.student_id, student_id),
        mentions=len(_mentioning(session, student_id)),
        audit_entries=len(rewrites),
    )


def erase_student(
    session: Session, settings: Settings, student_id: int, *, actor: str,
    user_id: int | None = None, by: Principal | None = None,
) -> ErasureReport:
    """Delete the student ``student_id`` and everything derived from their face, and replace
    their personal data in the audit log by a pseudonym; audited (the entry names the
    pseudonym and the counts, never the student or face data). ``by`` (None: the operator)
    must be allowed to erase students (``attendance.access``: admins).

    Raises :class:`NotFound` when there is no such student.
    """
    student = access.load_student(session, by, Action.ERASE_STUDENT, student_id)
    number = student.student_number
    identity = _identity(session, student)
    pseudonym = new_pseudonym()
    photo_files, thumbnails = _files(session, settings, student_id)
    counts = {
        "mentions": _unname(session, student_id),
        "embeddings": _delete(session, FaceEmbedding, FaceEmbedding.student_id, student_id),
        "photos": _delete(session, FacePhoto, FacePhoto.student_id, student_id),
        "sightings": _delete(session, Sighting, Sighting.student_id, student_id),
        "attendance_records": _delete(session, AttendanceRecord, AttendanceRecord.student_id,
                                      student_id),
        "consents": _delete(session, Consent, Consent.student_id, student_id),
    }
    session.expunge(student)
    session.execute(delete(Student).where(Student.id == student_id))
    session.flush()
    audit_entries = pseudonymise_audit(session, identity, pseudonym)
    report = ErasureReport(student_number=number, photo_files=len(photo_files),
                           thumbnails=len(thumbnails), pseudonym=pseudonym,
                           audit_entries=audit_entries, **counts)
    record_audit(session, actor=actor, action="student.delete", target_type="student",
                 target_id=student_id, user_id=user_id,
                 details={"student": pseudonym, **counts, "photo_files": len(photo_files),
                          "thumbnails": len(thumbnails), "audit_entries": audit_entries})
    session.flush()
    delete_after_commit(session, [*photo_files, *thumbnails])
    logger.info("erased student %d (now %s): %s", student_id, pseudonym, report.summary())
    return report


def _files(session: Session, settings: Settings, student_id: int) -> tuple[list[Path],
                                                                           list[Path]]:
    """The student's kept photo files and sighting thumbnails that exist on disk."""
    photo_paths = [p for p in session.scalars(select(FacePhoto.file_path).where(
        FacePhoto.student_id == student_id, FacePhoto.file_path.is_not(None))) if p]
    sighting_keys = session.execute(select(Sighting.seen_at, Sighting.dedupe_key).where(
        Sighting.student_id == student_id, Sighting.dedupe_key.is_not(None))).all()
    thumbnails = [thumbnail_path(settings.instance_path, row.seen_at, row.dedupe_key)
                  for row in sighting_keys]
    return (_inside(settings.instance_path, photo_paths),
            [t for t in thumbnails if t.is_file()])


def _identity(session: Session, student: Student) -> ErasedIdentity:
    """What identifies ``student`` in audit entries (``audit_pseudonyms``), read before the
    rows go."""
    hashes = session.scalars(select(FacePhoto.content_hash)
                             .where(FacePhoto.student_id == student.id))
    givers = session.scalars(select(Consent.given_by).where(Consent.student_id == student.id))
    tokens = {student.student_number, student.display_name, *hashes}
    if student.email:
        tokens.add(student.email)
    parts = {p for p in student.display_name.replace("-", " ").split() if len(p) >= 3}
    return ErasedIdentity(student.id, frozenset(t for t in tokens if t),
                          frozenset(parts | {g for g in givers if g}))


def _mentioning(session: Session, student_id: int) -> list[Sighting]:
    """Other faces' sightings, in the sessions of the student's courses, whose evidence
    names the student as a model's ``candidate`` (nearest match) or the fused score's
    ``runner_up``."""
    courses = select(Enrollment.course_id).where(Enrollment.student_id == student_id).union(
        select(ClassSession.course_id)
        .join(AttendanceRecord, AttendanceRecord.class_session_id == ClassSession.id)
        .where(AttendanceRecord.student_id == student_id))
    rows = session.scalars(
        select(Sighting)
        .join(ClassSession, ClassSession.id == Sighting.class_session_id)
        .where(ClassSession.course_id.in_(courses),
               or_(Sighting.student_id.is_(None), Sighting.student_id != student_id)))
    return [s for s in rows if student_id in evidence_candidates(s.evidence or {})]


def _unname(session: Session, student_id: int) -> int:
    """Remove the student as nearest match and runner-up from the evidence of the sightings of
    :func:`_mentioning`; returns how many changed."""
    mentioning = _mentioning(session, student_id)
    for sighting in mentioning:
        sighting.evidence = without_candidates(sighting.evidence or {}, {student_id})
    return len(mentioning)


def _count(session: Session, table: type[Base], column: InstrumentedAttribute[Any],
           student_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(table)
                              .where(column == student_id)) or 0)


def _delete(session: Session, table: type[Base], column: InstrumentedAttribute[Any],
            student_id: int) -> int:
    # Counted first, then deleted: rowcount of a bulk delete is not reliable on every driver.
    count = _count(session, table, column, student_id)
    session.execute(delete(table).where(column == student_id))
    return count


def _inside(instance_path: Path, relative: list[str]) -> list[Path]:
    """Existing files named by ``relative`` paths that resolve inside the instance folder."""
    root = instance_path.resolve()
    found = []
    for item in relative:
        with contextlib.suppress(OSError):
            path = (root / item).resolve()
            if path.is_relative_to(root) and path.is_file():
                found.append(path)
    return found


__all__ = ["ErasurePreview", "ErasureReport", "erase_student", "preview_erasure"]
