"""Encrypted templates in the database (SQLite and PostgreSQL): galleries decrypt them,
swapped or tampered rows are refused, and key rotation re-encrypts rows and files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from attendance.config import Settings
from attendance.crypto import FILE_MAGIC, TemplateCipher, embedding_aad, photo_aad
from attendance.db import AuditLog, Consent, FaceEmbedding, FacePhoto, Student, vector_to_bytes
from attendance.errors import TemplateDecryptionError
from attendance.matching import load_gallery
from attendance.services.template_keys import keys_in_use, rotate_templates
from attendance.thumbnail_files import FOLDER
from tests.attendance.cli_helpers import make_cli
from tests.conftest import make_settings

VERSIONS = {"dlib": "v1"}


def _student(session: Session, number: str, vector: list[float],
             cipher: TemplateCipher | None, *, file_path: str | None = None) -> Student:
    """A consenting student with one photo and its dlib embedding (encrypted with
    ``cipher``, or plain like a row from before encryption when None)."""
    student = Student(student_number=number, display_name=f"S {number}")
    session.add(student)
    session.flush()
    session.add(Consent(student_id=student.id, given_by="test", relation="student",
                        notice_version="1", recorded_by="test"))
    photo = FacePhoto(student=student, content_hash=number.ljust(64, "0"), file_path=file_path,
                      width=10, height=10, face_pixels=5, sharpness=1.0, brightness=100.0)
    array = np.asarray(vector, dtype=np.float32)
    if cipher is None:
        blob, key_id = vector_to_bytes(array), None
    else:
        blob = cipher.encrypt_vector(array, embedding_aad(student.id, "dlib", "v1", len(array)))
        key_id = cipher.key_id
    session.add(FaceEmbedding(student=student, photo=photo, model_name="dlib",
                              model_version="v1", dimension=len(array), vector=blob,
                              key_id=key_id))
    session.flush()
    return student


def _vectors(session: Session, cipher: TemplateCipher) -> dict[int, list[float]]:
    gallery = load_gallery(session, None, VERSIONS, cipher=cipher)["dlib"]
    return {int(s): v.tolist() for s, v in zip(gallery.student_ids, gallery.vectors,
                                               strict=True)}


def test_gallery_decrypts_encrypted_and_legacy_rows(
    db_session: Session, settings: Settings,
) -> None:
    cipher = TemplateCipher.from_settings(settings)
    a = _student(db_session, "A1", [1, 0, 0], cipher)
    b = _student(db_session, "B2", [0, 1, 0], None)  # stored before encryption existed
    assert _vectors(db_session, cipher) == {a.id: [1, 0, 0], b.id: [0, 1, 0]}
    stored = db_session.scalars(select(FaceEmbedding.vector).where(
        FaceEmbedding.student_id == a.id)).one()
    assert vector_to_bytes(np.asarray([1, 0, 0])) not in stored


def test_swapped_or_tampered_rows_are_refused(db_session: Session, settings: Settings) -> None:
    cipher = TemplateCipher.from_settings(settings)
    a = _student(db_session, "A1", [1, 0, 0], cipher)
    b = _student(db_session, "B2", [0, 1, 0], cipher)
    rows = {r.student_id: r for r in db_session.scalars(select(FaceEmbedding))}
    a_blob, b_blob = rows[a.id].vector, rows[b.id].vector
    # Swap the ciphertexts (an attacker making A match as B): authentication fails.
    for sid, blob in ((a.id, b_blob), (b.id, a_blob)):
        db_session.execute(update(FaceEmbedding).where(FaceEmbedding.student_id == sid)
                           .values(vector=blob))
    db_session.expire_all()
    with pytest.raises(TemplateDecryptionError, match="failed authentication"):
        load_gallery(db_session, None, VERSIONS, cipher=cipher)
    flipped = bytearray(a_blob)
    flipped[20] ^= 0x80
    db_session.execute(update(FaceEmbedding).values(vector=bytes(flipped)))
    db_session.expire_all()
    with pytest.raises(TemplateDecryptionError):
        load_gallery(db_session, None, VERSIONS, cipher=cipher)


def test_rotation_reencrypts_rows_and_files_once(
    db_session: Session, tmp_path: Path,
) -> None:
    old = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k1"))
    instance = tmp_path / "instance"
    a = _student(db_session, "A1", [1, 0, 0], old, file_path="photos/A1/a.jpg")
    b = _student(db_session, "B2", [0, 1, 0], None)
    photo_file = instance / "photos" / "A1" / "a.jpg"
    photo_file.parent.mkdir(parents=True)
    photo_file.write_bytes(old.encrypt_file_bytes(b"jpeg-a", photo_aad(a.id, "A1".ljust(64, "0"))))
    db_session.execute(update(FacePhoto).where(FacePhoto.student_id == a.id).values(key_id="k1"))
    thumb = instance / FOLDER / "2026-03-02" / "abc123.jpg"
    thumb.parent.mkdir(parents=True)
    thumb.write_bytes(b"\xff\xd8plain thumbnail")

    new = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k2"))
    report = rotate_templates(db_session, new, instance)
    again = rotate_templates(db_session, new, instance)

    assert (report.embeddings, report.photos, report.thumbnails) == (2, 1, 1)
    assert (again.embeddings, again.photos, again.thumbnails) == (0, 0, 0)
    assert keys_in_use(db_session) == {"k2": 2}
    (instance / "keys" / "k1.key").unlink()  # the old key is no longer needed
    fresh = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k2"))
    assert _vectors(db_session, fresh) == {a.id: [1, 0, 0], b.id: [0, 1, 0]}
    assert photo_file.read_bytes().startswith(FILE_MAGIC + b"k2\n")
    assert fresh.decrypt_file_bytes(photo_file.read_bytes(),
                                    photo_aad(a.id, "A1".ljust(64, "0"))) == b"jpeg-a"
    assert fresh.decrypt_file_bytes(thumb.read_bytes(), b"thumbnail|abc123").startswith(
        b"\xff\xd8")
    assert db_session.scalars(select(FacePhoto.key_id).where(
        FacePhoto.student_id == a.id)).one() == "k2"


def test_rotate_command(tmp_path: Path) -> None:
    cli = make_cli(tmp_path)
    with cli.session() as session, session.begin():
        _student(session, "A1", [1, 0, 0], None)
    result = cli("keys", "rotate")
    assert result.exit_code == 0, result.output
    assert ("1 embedding(s), 0 photo file(s), 0 thumbnail(s) and 0 camera source(s) "
            "re-encrypted with key 'k1'") in result.output
    assert (cli.instance / "keys" / "k1.key").is_file()
    with cli.session() as session:
        assert keys_in_use(session) == {"k1": 1}
        assert session.scalars(select(AuditLog.action)).all() == ["keys.rotate"]
