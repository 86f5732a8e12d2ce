"""Face templates encrypted at rest: round trips, tampering, wrong associated data, keys."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import numpy as np
import pytest

from attendance.crypto import (
    FILE_MAGIC,
    TemplateCipher,
    embedding_aad,
    read_embedding,
)
from attendance.errors import ConfigError, TemplateDecryptionError
from tests.conftest import make_settings

VECTOR = np.linspace(-1.0, 1.0, 128, dtype=np.float32)
AAD = embedding_aad(7, "dlib", "v1", 128)


@pytest.fixture
def cipher(tmp_path: Path) -> TemplateCipher:
    return TemplateCipher.from_settings(make_settings(tmp_path))


def test_vector_round_trip_with_a_fresh_nonce_each_time(cipher: TemplateCipher) -> None:
    first, second = cipher.encrypt_vector(VECTOR, AAD), cipher.encrypt_vector(VECTOR, AAD)
    assert first != second  # a new nonce per encryption
    assert VECTOR.tobytes() not in first  # the plain float bytes are nowhere in the row
    np.testing.assert_array_equal(cipher.decrypt_vector(first, cipher.key_id, 128, AAD), VECTOR)
    assert cipher.decrypt_bytes(cipher.encrypt_bytes(b"", b"x"), cipher.key_id, b"x") == b""


@pytest.mark.parametrize("position", [0, 1, 12, 13, 200, -1])
def test_any_flipped_byte_is_an_error(cipher: TemplateCipher, position: int) -> None:
    blob = bytearray(cipher.encrypt_vector(VECTOR, AAD))
    blob[position] ^= 0x01  # version byte, nonce, ciphertext and tag alike
    with pytest.raises(TemplateDecryptionError):
        cipher.decrypt_vector(bytes(blob), cipher.key_id, 128, AAD)


def test_truncated_or_plain_bytes_are_an_error(cipher: TemplateCipher) -> None:
    blob = cipher.encrypt_vector(VECTOR, AAD)
    with pytest.raises(TemplateDecryptionError, match="malformed"):
        cipher.decrypt_vector(blob[:20], cipher.key_id, 128, AAD)
    with pytest.raises(TemplateDecryptionError):
        cipher.decrypt_vector(VECTOR.tobytes(), cipher.key_id, 128, AAD)


@pytest.mark.parametrize("other", [
    embedding_aad(8, "dlib", "v1", 128),  # moved to another student's row
    embedding_aad(7, "inhouse", "v1", 128),  # relabelled as another model
    embedding_aad(7, "dlib", "v2", 128),
])
def test_wrong_associated_data_is_an_error(cipher: TemplateCipher, other: bytes) -> None:
    blob = cipher.encrypt_vector(VECTOR, AAD)
    with pytest.raises(TemplateDecryptionError, match="failed authentication"):
        cipher.decrypt_vector(blob, cipher.key_id, 128, other)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = TemplateCipher.from_settings(settings)
    path = settings.instance_path / "keys" / f"{settings.template_key_id}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    blob = first.encrypt_vector(VECTOR, AAD)
    again = TemplateCipher.from_settings(settings)
    np.testing.assert_array_equal(again.decrypt_vector(blob, again.key_id, 128, AAD), VECTOR)


def test_key_from_the_environment_setting(tmp_path: Path) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    settings = make_settings(tmp_path, template_key=key, template_key_id="env1")
    cipher = TemplateCipher.from_settings(settings)
    assert cipher.key_id == "env1"
    assert not (settings.instance_path / "keys").exists()  # nothing written to disk
    assert key not in repr(settings)  # the key never shows up in logs
    with pytest.raises(ConfigError, match="32"):
        TemplateCipher.from_settings(make_settings(tmp_path, template_key="c2hvcnQ="))


def test_rotation_keeps_old_keys_readable(tmp_path: Path) -> None:
    old = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k1"))
    blob = old.encrypt_vector(VECTOR, AAD)
    new = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k2"))
    assert new.key_id == "k2"
    np.testing.assert_array_equal(new.decrypt_vector(blob, "k1", 128, AAD), VECTOR)
    rotated = new.encrypt_vector(new.decrypt_vector(blob, "k1", 128, AAD), AAD)
    with pytest.raises(TemplateDecryptionError):  # k2's ciphertext is not k1's
        new.decrypt_vector(rotated, "k1", 128, AAD)
    (tmp_path / "instance" / "keys" / "k1.key").unlink()
    fresh = TemplateCipher.from_settings(make_settings(tmp_path, template_key_id="k2"))
    with pytest.raises(TemplateDecryptionError, match="k1.*missing"):
        fresh.decrypt_vector(blob, "k1", 128, AAD)


def test_files_carry_their_key_id(cipher: TemplateCipher) -> None:
    content = cipher.encrypt_file_bytes(b"\xff\xd8jpeg", b"thumbnail|abc")
    assert content.startswith(FILE_MAGIC + cipher.key_id.encode() + b"\n")
    assert cipher.decrypt_file_bytes(content, b"thumbnail|abc") == b"\xff\xd8jpeg"
    with pytest.raises(TemplateDecryptionError):
        cipher.decrypt_file_bytes(content, b"thumbnail|other")
    with pytest.raises(TemplateDecryptionError, match="header"):
        cipher.decrypt_file_bytes(b"\xff\xd8plain", b"thumbnail|abc")


def test_read_embedding_plain_legacy_rows_and_bound_rows(
    cipher: TemplateCipher, tmp_path: Path,
) -> None:
    plain = read_embedding(cipher, VECTOR.tobytes(), None, student_id=7, model_name="dlib",
                           model_version="v1", dimension=128)
    np.testing.assert_array_equal(plain, VECTOR)
    strict = TemplateCipher.from_settings(
        make_settings(tmp_path, template_plaintext_readable=False))
    with pytest.raises(TemplateDecryptionError, match="stored unencrypted"):
        read_embedding(strict, VECTOR.tobytes(), None, student_id=7, model_name="dlib",
                       model_version="v1", dimension=128)
    blob = cipher.encrypt_vector(VECTOR, AAD)
    decrypted = read_embedding(cipher, blob, cipher.key_id, student_id=7, model_name="dlib",
                               model_version="v1", dimension=128)
    np.testing.assert_array_equal(decrypted, VECTOR)
    with pytest.raises(TemplateDecryptionError):
        read_embedding(cipher, blob, cipher.key_id, student_id=8, model_name="dlib",
                       model_version="v1", dimension=128)


def test_thumbnails_are_encrypted_and_bound_to_their_sighting(
    cipher: TemplateCipher, tmp_path: Path,
) -> None:
    from datetime import UTC, datetime

    import cv2

    from attendance.worker.thumbnails import read_thumbnail, save_thumbnail

    frame = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    seen = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    path = save_thumbnail(tmp_path, seen, "key1", frame, (10, 90, 90, 10), cipher)
    assert path is not None
    assert path.read_bytes().startswith(FILE_MAGIC)
    jpeg = np.frombuffer(read_thumbnail(path, "key1", cipher), dtype=np.uint8)
    assert cv2.imdecode(jpeg, cv2.IMREAD_COLOR).shape[2] == 3
    moved = path.with_name("key2.jpg")
    path.rename(moved)  # passed off as another sighting's thumbnail
    with pytest.raises(TemplateDecryptionError):
        read_thumbnail(moved, "key2", cipher)
