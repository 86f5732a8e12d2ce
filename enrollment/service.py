"""Enrolling one student from a few photos: the one service behind the web form and the CLI.

Each photo goes through: content hash (a photo already stored for this student is skipped),
safe decoding, exactly-one-face and quality checks, embedding with every configured model,
and the duplicate check against every other enrolled student. Accepted photos are stored with
their quality figures and one embedding row per model; the image itself is kept under the
instance folder when ``settings.keep_photos`` is on.

The work runs in three phases: :func:`read_enrollment_context` reads (the student, their
stored photos, everyone's embeddings), :func:`prepare_enrollment` decodes, checks and embeds
with no database at all, and :func:`store_enrollment` writes. Callers that serve others at the
same time read through a read-only session, so on SQLite the write lock is held only for the
inserts (:func:`enroll_student` runs all three on one session, for scripts and tests).

The caller owns the transaction: this module only adds and flushes. If anything fails
half-way the caller rolls back and nothing remains, not even photo files (see ``storage``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendance.access import Principal
from attendance.config import Settings
from attendance.crypto import TemplateCipher, embedding_aad, photo_aad
from attendance.db import FaceEmbedding, FacePhoto, Relation, Student, utcnow
from attendance.detection import face_inputs
from attendance.errors import InvalidInput
from attendance.messages import Message
from attendance.services.audit import record_audit
from attendance.services.consent import ensure_consent
from attendance.services.roster import add_to_roster
from models import Embedder

from .decoding import DecodedImage, decode_image
from .duplicates import DuplicateIndex, DuplicateMatch, Tier
from .errors import PhotoRejected
from .lookalikes import judge
from .permissions import (
    Mode,
    check_existing,
    check_missing,
    check_new,
    check_overrides,
    nameable_numbers,
)
from .quality import QualityReport, assess_photo
from .request import EnrollmentRequest, PhotoUpload
from .result import EnrollmentResult, Outcome, PhotoOutcome
from .storage import write_photo

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class _Prepared:
    upload: PhotoUpload
    content_hash: str
    image: DecodedImage
    quality: QualityReport
    vectors: dict[str, NDArray[np.float32]]
    duplicate: DuplicateMatch | None


@dataclass(frozen=True, eq=False)
class _Known:
    """A photo of the student already stored, re-uploaded: embeddings of models enabled since
    it was stored (``vectors``, possibly none) are added to it."""

    upload: PhotoUpload
    content_hash: str
    vectors: dict[str, NDArray[np.float32]]


@dataclass(frozen=True, eq=False)
class EnrollmentContext:
    """What the read phase found: the student (if the number exists), the content hashes of
    their stored photos with the models each is embedded with, and everyone else's embeddings
    for the duplicate check. Plain data: no transaction stays open while photos are embedded."""

    request: EnrollmentRequest
    student_id: int | None
    stored: dict[str, frozenset[tuple[str, str]]]
    duplicates: DuplicateIndex
    #: Student numbers a duplicate warning may name (None: any); see ``permissions``.
    nameable: frozenset[str] | None = None


@dataclass(frozen=True, eq=False)
class PreparedEnrollment:
    """The photos decoded, checked and embedded, ready for :func:`store_enrollment`."""

    context: EnrollmentContext
    items: tuple[PhotoOutcome | _Prepared | _Known, ...]


def enroll_student(
    session: Session,
    settings: Settings,
    embedders: Sequence[Embedder],
    *,
    student_number: str,
    display_name: str | None = None,
    email: str | None = None,
    consent_by: str,
    photos: Sequence[PhotoUpload],
    allow_duplicate: bool = False,
    actor: str = "cli",
    consent_given_by: str | None = None,
    consent_relation: str = Relation.STUDENT.value,
    notice_version: str | None = None,
    consent_course_ids: Collection[int] | None = None,
    mode: Mode = Mode.NEW_OR_ADD_PHOTOS,
    course_id: int | None = None,
    by: Principal | None = None,
    confirmed_lookalikes: frozenset[int] = frozenset(),
    hold_for_confirmation: bool = False,
) -> EnrollmentResult:
    """Enroll (or add photos to) the student ``student_number``, in one session.

    ``consent_by`` names who recorded the student's consent; without it nothing is stored.
    Unless the student already has an active consent, a :class:`Consent` row is added: given by
    ``consent_given_by`` (default: the student's name) as ``consent_relation`` (student or
    guardian), under ``notice_version`` (default: ``settings.consent_notice_version``), for
    ``consent_course_ids`` (default: all courses).
    A new student needs ``display_name`` (``email`` is optional) and joins the roster of
    ``course_id`` when given; an enrolled student's name and email are never changed here
    (``attendance.services.students.update_student`` does that, audited). ``mode`` says
    whether the number must be new, must exist, or either; ``by`` (None: the operator) is
    checked by ``enrollment.permissions`` in the read and the write phase.
    ``allow_duplicate`` is the override of the duplicate check (admins and the operator;
    audited); ``confirmed_lookalikes`` are the students the enroller confirmed the photos
    do not show (look-alikes, ``enrollment.duplicates``; audited), and with
    ``hold_for_confirmation`` nothing is stored while a look-alike is unconfirmed.
    Raises :class:`InvalidInput` for a missing consent, number or name,
    :class:`AlreadyEnrolled` for a taken number in mode NEW, and the access policy's
    refusals; per-photo refusals are reported in the result, not raised.

    This runs the three phases (:func:`read_enrollment_context`, :func:`prepare_enrollment`,
    :func:`store_enrollment`) on one session, so on SQLite a write session holds the write
    lock while photos are embedded: callers that serve others at the same time (the web form,
    bulk enrollment) run the phases themselves, reading through a read-only session.
    """
    request = EnrollmentRequest(
        student_number=student_number, consent_by=consent_by, photos=photos,
        display_name=display_name, email=email, allow_duplicate=allow_duplicate, actor=actor,
        consent_given_by=consent_given_by, consent_relation=consent_relation,
        notice_version=notice_version, consent_course_ids=consent_course_ids,
        mode=mode, course_id=course_id, by=by, confirmed_lookalikes=confirmed_lookalikes,
        hold_for_confirmation=hold_for_confirmation,
    )
    context = read_enrollment_context(session, settings, embedders, request)
    prepared = prepare_enrollment(context, settings, embedders)
    return store_enrollment(session, settings, embedders, prepared)


def read_enrollment_context(
    session: Session, settings: Settings, embedders: Sequence[Embedder],
    request: EnrollmentRequest,
) -> EnrollmentContext:
    """Phase 1, reads only: validate ``request`` and load what the checks need.

    Raises :class:`InvalidInput` for a missing consent, number or name (a new student needs
    one) or when no model is configured, and refuses what ``request.by`` may not do
    (``enrollment.permissions``).
    """
    number = request.number
    if not number or len(number) > 64:
        raise InvalidInput("a student number of 1 to 64 characters is required")
    if not request.consent_by.strip():
        raise InvalidInput(
            "student %(number)s cannot be enrolled without consent: record who gave it "
            "(consent_by)", number=number
        )
    if not embedders:
        raise InvalidInput("no embedding model is configured (setting 'embedders')")
    student = session.scalar(select(Student).where(Student.student_number == number))
    _check(session, request, student)
    stored = _stored_photos(session, student.id) if student is not None else {}
    versions = {e.name: e.version for e in embedders}
    duplicates = DuplicateIndex.load(session, settings, versions,
                                     exclude_student_id=student.id if student else None)
    return EnrollmentContext(request, student.id if student else None, stored, duplicates,
                             nameable_numbers(session, request.by))


def prepare_enrollment(
    context: EnrollmentContext, settings: Settings, embedders: Sequence[Embedder]
) -> PreparedEnrollment:
    """Phase 2, no database: decode, check and embed every photo, and run the duplicate check.

    The slow part of an enrollment (seconds per photo on a small CPU): it runs while no
    transaction is open, so nobody waits for it.
    """
    request = context.request
    seen: set[str] = set()
    items: list[PhotoOutcome | _Prepared | _Known] = []
    for upload in request.photos:
        digest = hashlib.sha256(upload.data).hexdigest()
        if digest in context.stored:
            have = context.stored[digest]
            missing = [e for e in embedders if (e.name, e.version) not in have]
            items.append(_Known(upload, digest, _embed_again(upload, settings, missing)))
        elif digest in seen:
            items.append(PhotoOutcome(upload.filename, Outcome.SKIPPED,
                                      f"{upload.filename}: the same photo was given twice",
                                      digest))
        else:
            items.append(_prepare(upload, digest, settings, embedders, context.duplicates,
                                  request, context.nameable))
        seen.add(digest)
    if request.hold_for_confirmation and any(
            isinstance(i, PhotoOutcome) and i.lookalike is not None for i in items):
        items = [_held(i) if isinstance(i, _Prepared) else i for i in items]
    return PreparedEnrollment(context, tuple(items))


def store_enrollment(
    session: Session, settings: Settings, embedders: Sequence[Embedder],
    prepared: PreparedEnrollment,
) -> EnrollmentResult:
    """Phase 3, the writes: store the student, the accepted photos with their embeddings,
    consent and audit. Only inserts and small reads: a short transaction.

    What changed since the read phase is respected: a student created meanwhile under the
    same number gets the photos, and a photo stored meanwhile is skipped.
    """
    request = prepared.context.request
    number, name = request.number, request.name
    consent = request.consent_by.strip()
    student = session.scalar(select(Student).where(Student.student_number == number))
    _check(session, request, student)  # again: the roster or the student may have changed
    stored = ({p.content_hash: p for p in session.scalars(
        select(FacePhoto).where(FacePhoto.student_id == student.id))}
        if student is not None else {})
    items = [_already_stored(item, number) if isinstance(item, _Prepared)
             and item.content_hash in stored else item for item in prepared.items]

    created = False
    if any(isinstance(o, _Prepared) for o in items):
        if student is None:
            student = Student(student_number=number, display_name=name or number,
                              email=(request.email or "").strip() or None)
            session.add(student)
            created = True
        _note_consent(student, consent)
        session.flush()
        if created and request.course_id is not None:
            add_to_roster(session, request.course_id, student_ids=[student.id], by=request.by)
    elif student is not None:
        _note_consent(student, consent)

    final: list[PhotoOutcome] = []
    for item in items:
        if isinstance(item, _Prepared):
            final.append(_store(session, settings, student, item, embedders))
        elif isinstance(item, _Known):
            final.append(_store_known(session, settings, stored.get(item.content_hash), item,
                                      embedders, number))
        else:
            final.append(item)
    result = EnrollmentResult(number, student.id if student else None, created, tuple(final))
    if student is not None:
        if request.mode is not Mode.ADD_PHOTOS:  # adding photos needs a consent already
            ensure_consent(session, student.id,
                           given_by=request.consent_given_by or student.display_name,
                           relation=request.consent_relation,
                           course_ids=request.consent_course_ids,
                           notice_version=request.notice_version
                           or settings.consent_notice_version,
                           actor=request.actor, recorded_by=consent, by=request.by)
        _audit(session, request.actor, student, result, request.course_id if created else None)
    session.flush()
    logger.info("enrolled %s: %d accepted, %d skipped, %d rejected",
                number, result.accepted, result.skipped, result.rejected)
    return result


def _stored_photos(session: Session, student_id: int) -> dict[str, frozenset[tuple[str, str]]]:
    """Content hash of each stored photo of the student -> its (model, version) embeddings."""
    photos: dict[str, set[tuple[str, str]]] = {}
    rows = session.execute(
        select(FacePhoto.content_hash, FaceEmbedding.model_name, FaceEmbedding.model_version)
        .outerjoin(FaceEmbedding, FaceEmbedding.photo_id == FacePhoto.id)
        .where(FacePhoto.student_id == student_id))
    for content_hash, model, version in rows:
        have = photos.setdefault(content_hash, set())
        if model is not None:
            have.add((model, version))
    return {h: frozenset(models) for h, models in photos.items()}


def _already_stored(item: _Prepared, number: str) -> PhotoOutcome:
    return PhotoOutcome(item.upload.filename, Outcome.SKIPPED,
                        f"{item.upload.filename}: already stored for {number}",
                        item.content_hash)


def _held(item: _Prepared) -> PhotoOutcome:
    return PhotoOutcome(item.upload.filename, Outcome.HELD,
                        f"{item.upload.filename}: fine, but not stored yet: first confirm that "
                        "the look-alike below is a different person", item.content_hash)


def _prepare(upload: PhotoUpload, digest: str, settings: Settings,
             embedders: Sequence[Embedder], duplicates: DuplicateIndex,
             request: EnrollmentRequest,
             nameable: frozenset[str] | None) -> PhotoOutcome | _Prepared:
    try:
        image = decode_image(upload.data, filename=upload.filename,
                             max_bytes=settings.max_image_bytes,
                             max_pixels=settings.max_image_pixels)
        quality = assess_photo(image.pixels, settings, filename=upload.filename)
    except PhotoRejected as exc:
        return PhotoOutcome(upload.filename, Outcome.REJECTED, exc.message, digest, exc.reason)
    inputs = face_inputs(image.pixels, [quality.face])
    vectors = {e.name: np.asarray(e.embed(inputs), dtype=np.float32)[0] for e in embedders}
    duplicate = duplicates.nearest(vectors)
    if duplicate is not None:
        verdict = judge(duplicate, filename=upload.filename,
                        allow_duplicate=request.allow_duplicate,
                        confirmed=request.confirmed_lookalikes, nameable=nameable,
                        pixels=image.pixels, box=quality.box)
        if not verdict.stored:
            return PhotoOutcome(upload.filename, Outcome.REJECTED, verdict.message, digest,
                                verdict.reason, lookalike=verdict.lookalike)
    return _Prepared(upload, digest, image, quality, vectors, duplicate)


def _embed_again(upload: PhotoUpload, settings: Settings,
                 missing: Sequence[Embedder]) -> dict[str, NDArray[np.float32]]:
    """Embeddings of an already stored photo by the models in ``missing`` (enabled since it
    was stored); none when there are none, or when the photo no longer passes the checks."""
    if not missing:
        return {}
    try:
        image = decode_image(upload.data, filename=upload.filename,
                             max_bytes=settings.max_image_bytes,
                             max_pixels=settings.max_image_pixels)
        quality = assess_photo(image.pixels, settings, filename=upload.filename)
    except PhotoRejected as exc:  # limits were tightened since: leave the photo as it is
        logger.info("not re-embedding %s: %s", upload.filename, exc)
        return {}
    inputs = face_inputs(image.pixels, [quality.face])
    return {e.name: np.asarray(e.embed(inputs), dtype=np.float32)[0] for e in missing}


def _store_known(session: Session, settings: Settings, photo: FacePhoto | None, item: _Known,
                 embedders: Sequence[Embedder], number: str) -> PhotoOutcome:
    """Add the embeddings computed for an already stored photo that it still lacks."""
    added: list[str] = []
    if photo is not None and item.vectors:
        have = {(e.model_name, e.model_version) for e in photo.embeddings}
        cipher = TemplateCipher.from_settings(settings)
        for embedder in embedders:
            vector = item.vectors.get(embedder.name)
            if vector is not None and (embedder.name, embedder.version) not in have:
                session.add(embedding_row(cipher, photo.student_id, photo, embedder, vector))
                added.append(embedder.name)
    note = f"; added {', '.join(added)} embedding" if added else ""
    return PhotoOutcome(item.upload.filename, Outcome.SKIPPED,
                        f"{item.upload.filename}: already stored for {number}{note}",
                        item.content_hash)


def _check(session: Session, request: EnrollmentRequest, student: Student | None) -> None:
    """What ``request.by`` may do with this number (``enrollment.permissions``), and a name
    for a new student."""
    check_overrides(session, request.by, allow_duplicate=request.allow_duplicate,
                    confirms_lookalikes=bool(request.confirmed_lookalikes))
    if student is not None:
        check_existing(session, request.by, request.mode, student)
        return
    check_missing(request.mode)
    check_new(session, request.by, request.course_id)
    if request.name is None:
        raise InvalidInput("student %(number)s is new: a name is required", number=request.number)


def _note_consent(student: Student, consent: str) -> None:
    """The legacy first-consent columns, filled once (enrollment never renames anyone)."""
    if student.consent_given_at is None:
        student.consent_given_at = utcnow()
        student.consent_given_by = consent


def _store(session: Session, settings: Settings, student: Student | None, item: _Prepared,
           embedders: Sequence[Embedder]) -> PhotoOutcome:
    assert student is not None  # created above whenever a photo was prepared
    cipher = TemplateCipher.from_settings(settings)
    file_path = None
    if settings.keep_photos:
        file_path = write_photo(session, settings.instance_path,
                                student_number=student.student_number,
                                content_hash=item.content_hash, pixels=item.image.pixels,
                                cipher=cipher,
                                associated_data=photo_aad(student.id, item.content_hash))
    photo = FacePhoto(
        student=student, content_hash=item.content_hash, file_path=file_path,
        key_id=cipher.key_id if file_path else None,
        width=item.image.width, height=item.image.height,
        face_pixels=item.quality.face_pixels, sharpness=item.quality.sharpness,
        brightness=item.quality.brightness,
    )
    session.add(photo)
    for embedder in embedders:
        session.add(embedding_row(cipher, student.id, photo, embedder,
                                   item.vectors[embedder.name]))
    session.flush()
    duplicate_of = item.duplicate.student_number if item.duplicate else None
    message = Message("%(filename)s: accepted", filename=item.upload.filename)
    if item.duplicate is not None:
        match = item.duplicate.describe()
        if item.duplicate.tier is Tier.DUPLICATE:
            message = Message("%(filename)s: accepted although it %(match)s (duplicate check "
                              "overridden)", filename=item.upload.filename, match=match)
        else:
            message = Message("%(filename)s: accepted although it %(match)s (confirmed as a "
                              "different person)", filename=item.upload.filename, match=match)
    return PhotoOutcome(item.upload.filename, Outcome.ACCEPTED, message, item.content_hash,
                        photo_id=photo.id, duplicate_of=duplicate_of,
                        duplicate_tier=item.duplicate.tier.value if item.duplicate else None)


def embedding_row(cipher: TemplateCipher, student_id: int, photo: FacePhoto,
                   embedder: Embedder, vector: NDArray[np.float32]) -> FaceEmbedding:
    """The embedding row of ``vector``, encrypted under the current template key and bound to
    the student and model (``attendance.crypto.embedding_aad``)."""
    dimension = int(vector.shape[0])
    aad = embedding_aad(student_id, embedder.name, embedder.version, dimension)
    return FaceEmbedding(
        student_id=student_id, photo=photo, model_name=embedder.name,
        model_version=embedder.version, dimension=dimension,
        vector=cipher.encrypt_vector(vector, aad), key_id=cipher.key_id,
    )


def _audit(session: Session, actor: str, student: Student, result: EnrollmentResult,
           course_id: int | None) -> None:
    details = {
        "student_number": student.student_number,
        "created": result.created,
        "course_id": course_id,
        "accepted": [p.content_hash for p in result.photos if p.outcome is Outcome.ACCEPTED],
        "skipped": result.skipped,
        "rejected": [{"file": p.filename, "reason": p.reason}
                     for p in result.photos if p.outcome is Outcome.REJECTED],
    }
    record_audit(session, actor=actor, action="student.enroll", target_type="student",
                 target_id=student.id, details=details)
    for p in result.photos:
        if p.duplicate_of is not None:
            action = ("student.enroll.lookalike_confirmed" if p.duplicate_tier == Tier.LOOKALIKE
                      else "student.enroll.duplicate_override")
            record_audit(session, actor=actor, action=action,
                         target_type="student", target_id=student.id,
                         details={"photo_id": p.photo_id, "looks_like": p.duplicate_of,
                                  "message": p.message})


__all__ = [
    "EnrollmentContext",
    "EnrollmentRequest",
    "EnrollmentResult",
    "Outcome",
    "PhotoOutcome",
    "PhotoUpload",
    "PreparedEnrollment",
    "embedding_row",
    "enroll_student",
    "prepare_enrollment",
    "read_enrollment_context",
    "store_enrollment",
]
