"""Face templates, face images and camera credentials encrypted at rest: AES-256-GCM with keys
kept outside the database.

Keys. Each key has an id (``settings.template_key_id`` names the current one, used for every
new encryption). A key is 32 random bytes kept base64-encoded in
``<template_key_dir>/<id>.key`` (default ``<instance>/keys``), created with mode 0600 on
first use; the current key may instead come from ``settings.template_key`` (e.g. the
``ATTENDANCE_TEMPLATE_KEY`` environment variable from a secret store). Keys of older ids stay
readable from their files, so rows keep working while ``attendance keys rotate`` re-encrypts
them to the current key. A database dump alone therefore reveals no template.

Ciphertexts. ``0x01 | nonce (12 random bytes, new for every encryption) | ciphertext+tag``.
Every encryption binds *associated data* naming what the plaintext belongs to (see
:func:`embedding_aad`, :func:`photo_aad`, :func:`thumbnail_aad`,
:func:`camera_source_aad`): a ciphertext copied onto another student's row, a flipped byte
or the wrong key all fail authentication and raise
:class:`~attendance.errors.TemplateDecryptionError` — never a silently wrong vector.

Files (photos, thumbnails) carry their key id in a header, ``ATTENC1:<key id>\\n`` followed by
the ciphertext, so they can be read without the database; photo rows also store it in
``FacePhoto.key_id``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from numpy.typing import NDArray

from .config import Settings
from .db.base import vector_from_bytes, vector_to_bytes
from .errors import ConfigError, TemplateDecryptionError

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32
TAG_BYTES = 16
FILE_MAGIC = b"ATTENC1:"
KEYS_DIR = "keys"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


def embedding_aad(student_id: int, model_name: str, model_version: str, dimension: int) -> bytes:
    """Associated data of a ``FaceEmbedding`` vector: whose, which model, how long."""
    return f"face_embedding|{student_id}|{model_name}|{model_version}|{dimension}".encode()


def photo_aad(student_id: int, content_hash: str) -> bytes:
    """Associated data of a kept enrollment photo file: whose, and which upload."""
    return f"face_photo|{student_id}|{content_hash}".encode()


def thumbnail_aad(dedupe_key: str) -> bytes:
    """Associated data of a sighting thumbnail file: which sighting."""
    return f"thumbnail|{dedupe_key}".encode()


def camera_source_aad(camera_id: int) -> bytes:
    """Associated data of a camera's encrypted source URL: which camera."""
    return f"camera_source|{camera_id}".encode()


class TemplateCipher:
    """Encrypts with the current key, decrypts with any key id it can find.

    ``keys`` are the keys already known by id; ``key_dir`` (optional) is where further ids
    are looked up as ``<id>.key`` files.
    """

    def __init__(self, keys: dict[str, bytes], current_key_id: str,
                 key_dir: Path | None = None, *, plaintext_readable: bool = True) -> None:
        if current_key_id not in keys:
            raise ConfigError(f"template key {current_key_id!r} is not available")
        for key_id, key in keys.items():
            _check_key(key_id, key)
        self._keys = dict(keys)
        self.key_id = current_key_id
        self.key_dir = key_dir
        #: Whether rows stored in plain form (``key_id`` None) may still be read.
        self.plaintext_readable = plaintext_readable

    @classmethod
    def from_settings(cls, settings: Settings) -> TemplateCipher:
        """The cipher of ``settings``: the current key from ``template_key`` or its file
        (created on first use), older keys from ``template_key_dir``."""
        key_dir = key_directory(settings)
        key_id = settings.template_key_id
        if settings.template_key:
            key = _decode_key(settings.template_key, "setting 'template_key'")
        else:
            key = load_or_create_key(key_dir, key_id)
        cipher = cls({key_id: key}, key_id, key_dir,
                     plaintext_readable=settings.template_plaintext_readable)
        global _LAST_CONFIGURED
        _LAST_CONFIGURED = cipher
        return cipher

    def encrypt_bytes(self, data: bytes, associated_data: bytes) -> bytes:
        """``data`` encrypted with the current key (:attr:`key_id`) and a fresh nonce."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self._keys[self.key_id]).encrypt(nonce, data, associated_data)
        return FORMAT_VERSION + nonce + sealed

    def decrypt_bytes(self, blob: bytes, key_id: str, associated_data: bytes) -> bytes:
        """The plaintext of ``blob`` encrypted under ``key_id`` with ``associated_data``;
        raises :class:`TemplateDecryptionError` if anything does not match."""
        if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != FORMAT_VERSION:
            raise TemplateDecryptionError(
                f"stored ciphertext is malformed ({len(blob)} bytes, not format 1); "
                "it was damaged or was never encrypted")
        nonce, sealed = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
        try:
            return AESGCM(self._key(key_id)).decrypt(nonce, bytes(sealed), associated_data)
        except InvalidTag as exc:
            raise TemplateDecryptionError(
                f"stored ciphertext failed authentication with key {key_id!r}: it was "
                "tampered with, moved to another row, or the key file is wrong") from exc

    def encrypt_vector(self, vector: NDArray[np.floating[Any]], associated_data: bytes) -> bytes:
        """A 1-D vector as encrypted little-endian float32 bytes."""
        return self.encrypt_bytes(vector_to_bytes(vector), associated_data)

    def decrypt_vector(self, blob: bytes, key_id: str, dimension: int,
                       associated_data: bytes) -> NDArray[np.float32]:
        """The float32 vector of length ``dimension`` encrypted in ``blob``."""
        data = self.decrypt_bytes(blob, key_id, associated_data)
        try:
            return vector_from_bytes(data, dimension)
        except ValueError as exc:  # authenticated, so only a writer bug gets here
            raise TemplateDecryptionError(str(exc)) from exc

    def encrypt_file_bytes(self, data: bytes, associated_data: bytes) -> bytes:
        """File content: the header naming the current key id, then the ciphertext."""
        header = FILE_MAGIC + self.key_id.encode("ascii") + b"\n"
        return header + self.encrypt_bytes(data, associated_data)

    def decrypt_file_bytes(self, content: bytes, associated_data: bytes) -> bytes:
        """The plaintext of a file written by :meth:`encrypt_file_bytes`."""
        key_id, blob = file_key_id(content)
        return self.decrypt_bytes(blob, key_id, associated_data)

    def _key(self, key_id: str) -> bytes:
        key = self._keys.get(key_id)
        if key is None:
            if self.key_dir is None or not _KEY_ID.fullmatch(key_id):
                raise TemplateDecryptionError(f"no template key {key_id!r} is available")
            path = self.key_dir / f"{key_id}.key"
            if not path.is_file():
                raise TemplateDecryptionError(
                    f"template key {key_id!r} is missing: expected {path}; restore it from "
                    "the key backup (rows encrypted with it cannot be read without it)")
            key = _decode_key(path.read_text(encoding="ascii"), str(path))
            self._keys[key_id] = key
        return key


#: The cipher most recently built from settings in this process (one process has one
#: configuration): what :func:`read_embedding` falls back to when a caller gives none.
_LAST_CONFIGURED: TemplateCipher | None = None


def configured_cipher() -> TemplateCipher | None:
    """The cipher last built by :meth:`TemplateCipher.from_settings` in this process, if any.
    Production code passes its cipher explicitly; this keeps simple callers working."""
    return _LAST_CONFIGURED


def file_key_id(content: bytes) -> tuple[str, bytes]:
    """(key id, ciphertext) of an encrypted file's content."""
    if not content.startswith(FILE_MAGIC) or b"\n" not in content[:64]:
        raise TemplateDecryptionError("file is not an encrypted face image (no ATTENC1 header)")
    header, blob = content.split(b"\n", 1)
    return header[len(FILE_MAGIC):].decode("ascii", errors="replace"), blob


def key_directory(settings: Settings) -> Path:
    """Where the key files of ``settings`` live."""
    return Path(settings.template_key_dir) if settings.template_key_dir else (
        settings.instance_path / KEYS_DIR)


def load_or_create_key(key_dir: Path, key_id: str) -> bytes:
    """Read ``<key_dir>/<key_id>.key``, creating it (folder 0700, file 0600) if absent."""
    if not _KEY_ID.fullmatch(key_id):
        raise ConfigError(f"template key id {key_id!r} must be 1-32 letters, digits, - or _")
    path = key_dir / f"{key_id}.key"
    if not path.is_file():
        key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        # Written under a temporary name (mkstemp: mode 0600) and hard-linked into place, so
        # another process never reads a half-written key and two never both create one.
        fd, tmp = tempfile.mkstemp(dir=key_dir, prefix=".key-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(base64.b64encode(key).decode("ascii") + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process created it first: read theirs below
        else:
            return key
        finally:
            os.unlink(tmp)
    return _decode_key(path.read_text(encoding="ascii"), str(path))


def read_key_file(key_dir: Path, key_id: str) -> bytes:
    """The key in ``<key_dir>/<key_id>.key``, never creating it; :class:`ConfigError` saying
    which file to restore when it is missing, unreadable or damaged."""
    path = key_dir / f"{key_id}.key"
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(f"template key {key_id!r} is missing: expected {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"template key {key_id!r} in {path} cannot be read: "
                          f"{getattr(exc, 'strerror', None) or exc}") from exc
    return _decode_key(text, str(path))


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"template key in {where} is not base64") from exc
    if len(key) != KEY_BYTES:
        raise ConfigError(f"template key in {where} has {len(key)} bytes, needs {KEY_BYTES}")
    return key


def _check_key(key_id: str, key: bytes) -> None:
    if not _KEY_ID.fullmatch(key_id):
        raise ConfigError(f"template key id {key_id!r} must be 1-32 letters, digits, - or _")
    if len(key) != KEY_BYTES:
        raise ConfigError(f"template key {key_id!r} has {len(key)} bytes, needs {KEY_BYTES}")


def read_embedding(
    cipher: TemplateCipher | None,
    blob: bytes,
    key_id: str | None,
    *,
    student_id: int,
    model_name: str,
    model_version: str,
    dimension: int,
) -> NDArray[np.float32]:
    """The vector stored in a ``FaceEmbedding`` row's ``vector`` bytes.

    ``key_id`` None is a row stored in plain form before encryption existed (read as is
    unless the given ``cipher`` says ``plaintext_readable`` is off); otherwise the row is
    decrypted and authenticated against its student and model, with ``cipher`` or else the
    process's :func:`configured_cipher`.
    """
    if key_id is None:
        if cipher is not None and not cipher.plaintext_readable:
            raise TemplateDecryptionError(
                f"student {student_id} has a {model_name} template stored unencrypted, and "
                "template_plaintext_readable is off; re-enroll the student or run "
                "'attendance keys rotate' with it on")
        return vector_from_bytes(blob, dimension)
    cipher = cipher or _LAST_CONFIGURED
    if cipher is None:
        raise TemplateDecryptionError(
            "face templates are encrypted; load them with the template key "
            "(TemplateCipher.from_settings)")
    return cipher.decrypt_vector(blob, key_id, dimension,
                                 embedding_aad(student_id, model_name, model_version, dimension))


__all__ = [
    "TemplateCipher",
    "camera_source_aad",
    "configured_cipher",
    "embedding_aad",
    "file_key_id",
    "key_directory",
    "load_or_create_key",
    "photo_aad",
    "read_embedding",
    "read_key_file",
    "thumbnail_aad",
]
