"""enroll_student: storage, idempotence, duplicates, refusals and all-or-nothing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from attendance.config import Settings
from attendance.crypto import TemplateCipher, photo_aad, read_embedding
from attendance.db import AuditLog, FaceEmbedding, FacePhoto, Student
from attendance.errors import InvalidInput
from enrollment import Outcome, PhotoUpload, enroll_student
from enrollment.storage import read_photo
from models import FaceInput
from tests.conftest import make_settings
from tests.lfw_faces import CachingEmbedder, LfwFaces, encode

pytestmark = pytest.mark.lfw  # every test here uses LFW faces


def _photo(lfw: LfwFaces, person: str, number: int, name: str | None = None) -> PhotoUpload:
    return PhotoUpload(name or f"{person}_{number}.jpg", lfw.jpeg(person, number))


def _count(session: Session, table: type) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _files(settings: Settings) -> list[Path]:
    root = settings.instance_path / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _enroll(session: Session, settings: Settings, embedders: Sequence[object], number: str,
            photos: Sequence[PhotoUpload], **kwargs: object):  # type: ignore[no-untyped-def]
    return enroll_student(session, settings, embedders,  # type: ignore[arg-type]
                          student_number=number, display_name=kwargs.pop("name", "Test Person"),
                          consent_by="registrar", photos=photos, **kwargs)  # type: ignore[arg-type]


def test_enrolling_stores_student_photos_embeddings_files_and_audit(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    photos = [_photo(lfw, "George_W_Bush", 1), _photo(lfw, "George_W_Bush", 2)]
    result = _enroll(db_session, settings, [dlib_embedder], "S001", photos, name="George Bush",
                     email="gwb@example.org")
    assert (result.created, result.accepted, result.skipped, result.rejected) == (True, 2, 0, 0)
    student = db_session.get(Student, result.student_id)
    assert student is not None
    assert student.display_name == "George Bush"
    assert student.consent_given_by == "registrar"
    assert student.consent_given_at is not None
    stored = db_session.scalars(select(FacePhoto).order_by(FacePhoto.id)).all()
    assert [p.id for p in stored] == [o.photo_id for o in result.photos]
    for photo, upload in zip(stored, photos, strict=True):
        assert (photo.width, photo.height) == (250, 250)
        assert photo.face_pixels >= 60
        assert photo.sharpness > 20
        assert 40 < photo.brightness < 220
        assert photo.file_path == f"photos/S001/{photo.content_hash}.jpg"
        assert (settings.instance_path / photo.file_path).is_file()
        assert len(photo.content_hash) == 64
        (embedding,) = photo.embeddings
        assert (embedding.model_name, embedding.dimension) == ("dlib", 128)
        assert embedding.model_version == dlib_embedder.version
        assert embedding.key_id == settings.template_key_id  # encrypted at rest
        vector = read_embedding(TemplateCipher.from_settings(settings), embedding.vector,
                                embedding.key_id, student_id=student.id, model_name="dlib",
                                model_version=embedding.model_version, dimension=128)
        assert vector.shape == (128,)
        assert upload.filename not in photo.file_path
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "student.enroll")).one()
    assert (audit.action, audit.target_id, audit.actor) == ("student.enroll", student.id, "cli")
    assert len(audit.details["accepted"]) == 2


def test_re_enrolling_is_idempotent_and_never_renames(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    photos = [_photo(lfw, "Colin_Powell", 1), _photo(lfw, "Colin_Powell", 2)]
    _enroll(db_session, settings, [dlib_embedder], "S002", photos)
    again = _enroll(db_session, settings, [dlib_embedder], "S002", [*photos, photos[0]],
                    name="Colin Powell")
    assert (again.created, again.accepted, again.skipped) == (False, 0, 3)
    assert _count(db_session, FacePhoto) == 2
    assert _count(db_session, FaceEmbedding) == 2
    # Renaming is update_student's job (its own form, audited), never enrollment's.
    assert db_session.scalars(select(Student)).one().display_name == "Test Person"
    assert len(_files(settings)) == 2


def test_each_photo_gets_its_own_outcome(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    pair = np.hstack([lfw.rgb("Tony_Blair", 1), lfw.rgb("Colin_Powell", 3)])
    photos = [
        PhotoUpload("notes.jpg", b"not an image at all"),
        _photo(lfw, "Tony_Blair", 2),
        PhotoUpload("group.png", encode(pair, "PNG")),
    ]
    result = _enroll(db_session, settings, [dlib_embedder], "S003", photos)
    assert [(p.outcome, p.reason) for p in result.photos] == [
        (Outcome.REJECTED, "not_an_image"), (Outcome.ACCEPTED, None),
        (Outcome.REJECTED, "several_faces"),
    ]
    assert "group.png: 2 faces found" in result.photos[2].message
    assert _count(db_session, FacePhoto) == 1


def test_refusals_of_the_student_itself(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    photo = [_photo(lfw, "Tony_Blair", 3)]
    with pytest.raises(InvalidInput, match="without consent"):
        enroll_student(db_session, settings, [dlib_embedder], student_number="S004",
                       display_name="X", consent_by="  ", photos=photo)
    with pytest.raises(InvalidInput, match="a name is required"):
        enroll_student(db_session, settings, [dlib_embedder], student_number="S004",
                       consent_by="registrar", photos=photo)
    nothing = _enroll(db_session, settings, [dlib_embedder], "S004",
                      [PhotoUpload("x.jpg", b"")])
    assert nothing.student_id is None
    assert nothing.rejected == 1
    assert _count(db_session, Student) == 0
    assert _count(db_session, AuditLog) == 0


def test_unsafe_student_numbers_get_a_safe_folder(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    upload = PhotoUpload("../../../../etc/passwd", lfw.jpeg("Donald_Rumsfeld", 1))
    result = _enroll(db_session, settings, [dlib_embedder], "../x/..", [upload])
    (path,) = _files(settings)
    assert path.parent.parent == settings.instance_path / "photos"
    assert path.parent.name.startswith("___x___-")
    assert path.name.endswith(".jpg")
    assert result.accepted == 1


def test_duplicate_of_another_student_is_refused_unless_overridden(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    _enroll(db_session, settings, [dlib_embedder], "S010", [_photo(lfw, "George_W_Bush", 3)],
            name="George Bush")
    # The same picture again, re-encoded (other bytes), under another student number.
    copy = PhotoUpload("copy.jpg", encode(lfw.rgb("George_W_Bush", 3), "JPEG", quality=80))
    refused = _enroll(db_session, settings, [dlib_embedder], "S011", [copy])
    (outcome,) = refused.photos
    assert outcome.reason == "duplicate"
    assert refused.student_id is None
    assert "looks like S010 George Bush" in outcome.message
    overridden = _enroll(db_session, settings, [dlib_embedder], "S011", [copy],
                         allow_duplicate=True, actor="admin")
    assert overridden.accepted == 1
    assert overridden.photos[0].duplicate_of == "S010"
    override = db_session.scalars(
        select(AuditLog).where(AuditLog.action == "student.enroll.duplicate_override")).one()
    assert override.actor == "admin"
    assert override.details["looks_like"] == "S010"
    # A different person is no duplicate.
    other = _enroll(db_session, settings, [dlib_embedder], "S012", [_photo(lfw, "Colin_Powell", 4)])
    assert other.accepted == 1


class _FailingEmbedder:
    """Delegates to the real embedder, but raises on call number ``fail_on``."""

    def __init__(self, inner: CachingEmbedder, fail_on: int) -> None:
        self.inner, self.fail_on, self.calls = inner, fail_on, 0
        self.name, self.version, self.dimension = inner.name, inner.version, inner.dimension

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("model crashed")
        return self.inner.embed(faces)


def _assert_nothing_stored(session: Session, settings: Settings) -> None:
    for table in (Student, FacePhoto, FaceEmbedding, AuditLog):
        assert _count(session, table) == 0, table
    assert _files(settings) == []


def test_a_failing_embedder_leaves_nothing(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    photos = [_photo(lfw, "Gerhard_Schroeder", 1), _photo(lfw, "Gerhard_Schroeder", 2)]
    with pytest.raises(RuntimeError, match="model crashed"):
        _enroll(db_session, settings, [_FailingEmbedder(dlib_embedder, 2)], "S020", photos)
    db_session.rollback()
    _assert_nothing_stored(db_session, settings)


def test_a_failure_after_rows_and_files_were_written_leaves_nothing(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import enrollment.service as service

    real_write = service.write_photo
    calls: list[str] = []

    def write_then_fail(*args: object, **kwargs: object) -> str:
        calls.append("write")
        if len(calls) == 2:
            assert len(_files(settings)) == 1  # the first photo's file is on disk ...
            assert _count(db_session, FaceEmbedding) == 1  # ... and its rows are flushed
            raise OSError("disk full")
        return real_write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "write_photo", write_then_fail)
    photos = [_photo(lfw, "Gerhard_Schroeder", 1), _photo(lfw, "Gerhard_Schroeder", 2)]
    with pytest.raises(OSError, match="disk full"):
        _enroll(db_session, settings, [dlib_embedder], "S021", photos)
    db_session.rollback()
    _assert_nothing_stored(db_session, settings)


def test_photos_are_not_kept_when_the_setting_is_off(
    db_session: Session, tmp_path: Path, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    settings = make_settings(tmp_path, keep_photos=False)
    result = _enroll(db_session, settings, [dlib_embedder], "S030",
                     [_photo(lfw, "Donald_Rumsfeld", 2)])
    assert result.accepted == 1
    assert db_session.scalars(select(FacePhoto)).one().file_path is None
    assert _files(settings) == []


def test_kept_photo_is_an_upright_jpeg_without_metadata(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    _enroll(db_session, settings, [dlib_embedder], "S031", [_photo(lfw, "Tony_Blair", 4)])
    (path,) = _files(settings)
    photo = db_session.scalars(select(FacePhoto)).one()
    assert photo.file_path is not None
    assert photo.key_id == settings.template_key_id
    assert not path.read_bytes().startswith(b"\xff\xd8")  # no JPEG on disk: encrypted
    data = read_photo(settings.instance_path, photo.file_path,
                      TemplateCipher.from_settings(settings),
                      photo_aad(photo.student_id, photo.content_hash))
    with Image.open(io.BytesIO(data)) as kept:
        assert kept.format == "JPEG"
        assert kept.size == (250, 250)
        assert not kept.getexif()


def test_files_follow_savepoints_and_a_session_closed_without_commit(
    session_factory: sessionmaker[Session], settings: Settings, lfw: LfwFaces,
    dlib_embedder: CachingEmbedder,
) -> None:
    photo = [_photo(lfw, "Colin_Powell", 5)]
    session = session_factory()
    with session.begin_nested():  # a released savepoint does not make the file final ...
        _enroll(session, settings, [dlib_embedder], "S040", photo)
    assert len(_files(settings)) == 1
    session.rollback()  # ... the outer rollback removes it
    assert _files(settings) == []
    _enroll(session, settings, [dlib_embedder], "S040", photo)
    assert len(_files(settings)) == 1
    session.close()  # closed without commit: rolled back, file removed
    assert _files(settings) == []
    with session_factory.begin() as committed:
        _enroll(committed, settings, [dlib_embedder], "S040", photo)
    assert len(_files(settings)) == 1
    with session_factory() as fresh:
        assert _count(fresh, FacePhoto) == 1


class _FakeInhouse:
    """A stand-in second model: a unit vector derived from the face pixels."""

    name, version, dimension = "inhouse", "fake-1", 16

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        out = []
        for face in faces:
            top, right, bottom, left = face.box
            crop = face.image[top:bottom, left:right].astype(np.float64)
            seed = int(crop.sum()) % (2**32)
            vector = np.random.default_rng(seed).normal(size=self.dimension)
            out.append(vector / np.linalg.norm(vector))
        return np.asarray(out, dtype=np.float32)


def test_re_enrolling_with_a_newly_enabled_model_adds_its_embeddings(
    db_session: Session, settings: Settings, lfw: LfwFaces, dlib_embedder: CachingEmbedder
) -> None:
    photos = [_photo(lfw, "Tony_Blair", 5)]
    _enroll(db_session, settings, [dlib_embedder], "S050", photos)
    again = _enroll(db_session, settings, [dlib_embedder, _FakeInhouse()], "S050", photos)
    assert again.skipped == 1
    assert "added inhouse embedding" in again.photos[0].message
    names = db_session.scalars(select(FaceEmbedding.model_name).order_by(FaceEmbedding.id)).all()
    assert names == ["dlib", "inhouse"]
    third = _enroll(db_session, settings, [dlib_embedder, _FakeInhouse()], "S050", photos)
    assert "added" not in third.photos[0].message
    assert _count(db_session, FaceEmbedding) == 2
