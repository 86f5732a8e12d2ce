"""Kept photo files: written atomically, and removed again if the transaction rolls back.

Files live under ``<instance>/photos/<student folder>/<sha256>.jpg``. The folder name comes from
the student number made filesystem-safe, never from an uploaded file name. The enrollment
service encrypts the JPEG bytes (AES-GCM, ``attendance.crypto``; the name keeps ``.jpg``);
:func:`read_photo` gives them back. Each file is written
to a temporary name in the same folder and renamed into place, so a reader never sees half a
photo. The session remembers the files written inside each of its transactions; when that
transaction (or an enclosing one) rolls back, or the session is closed without committing,
they are deleted, so a failed enrollment leaves no orphan files. A process killed between the
write and the commit can still leave one; such files are not referenced by any ``FacePhoto``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from attendance.crypto import FILE_MAGIC, TemplateCipher
from attendance.errors import TemplateDecryptionError

logger = logging.getLogger(__name__)

PHOTOS_DIR = "photos"
#: JPEG quality of kept photos (they are re-encoded: EXIF and other metadata are dropped).
JPEG_QUALITY = 92
_PENDING = "enrollment.photo_files"
_HOOKED = "enrollment.photo_files_hooked"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def student_folder(student_number: str) -> str:
    """A folder name for ``student_number``: itself when already safe, else a safe variant
    with a short hash so two numbers never share a folder."""
    safe = _UNSAFE.sub("_", student_number)[:48]
    if safe == student_number:
        return safe
    digest = hashlib.sha256(student_number.encode("utf-8")).hexdigest()[:10]
    return f"{safe}-{digest}"


def write_photo(
    session: Session,
    instance_path: Path,
    *,
    student_number: str,
    content_hash: str,
    pixels: NDArray[np.uint8],
    cipher: TemplateCipher | None = None,
    associated_data: bytes = b"",
) -> str:
    """Write ``pixels`` as a JPEG and return its path relative to ``instance_path`` (POSIX).

    With ``cipher`` the JPEG bytes are encrypted (AES-GCM, bound to ``associated_data``,
    see ``attendance.crypto``) before they touch the disk; read them with
    :func:`read_photo`. The file is deleted again if the current transaction of ``session``
    rolls back.
    """
    if not re.fullmatch(r"[0-9a-f]{64}", content_hash):
        raise ValueError("content_hash must be a hex SHA-256")
    relative = Path(PHOTOS_DIR) / student_folder(student_number) / f"{content_hash}.jpg"
    target = instance_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
    try:
        buffer = io.BytesIO()
        Image.fromarray(pixels, mode="RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY)
        data = buffer.getvalue()
        if cipher is not None:
            data = cipher.encrypt_file_bytes(data, associated_data)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _remember(session, target)
    return relative.as_posix()


def read_photo(instance_path: Path, file_path: str, cipher: TemplateCipher | None,
               associated_data: bytes = b"") -> bytes:
    """The JPEG bytes of a kept photo (``FacePhoto.file_path``), decrypted when the file is
    encrypted; a tampered or misplaced file raises ``TemplateDecryptionError``."""
    content = (instance_path / file_path).read_bytes()
    if content.startswith(FILE_MAGIC):
        if cipher is None:
            raise TemplateDecryptionError("the photo is encrypted; give the template key")
        return cipher.decrypt_file_bytes(content, associated_data)
    return content


def _current_transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def _remember(session: Session, path: Path) -> None:
    if not session.info.get(_HOOKED):
        event.listen(session, "after_soft_rollback", _after_rollback)
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_transaction_end", _after_transaction_end)
        session.info[_HOOKED] = True
    pending: list[tuple[SessionTransaction | None, Path]] = session.info.setdefault(_PENDING, [])
    pending.append((_current_transaction(session), path))


def _after_commit(session: Session) -> None:
    # Also fired when a savepoint is released; only the outermost commit makes files final.
    if session.get_nested_transaction() is None:
        session.info[_PENDING] = []


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit (closed, or rolled back): drop its files.
    if transaction.parent is None:
        for _, path in session.info.get(_PENDING, []):
            _delete(path)
        session.info[_PENDING] = []


def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[SessionTransaction | None, Path]] = session.info.get(_PENDING, [])
    keep: list[tuple[SessionTransaction | None, Path]] = []
    for transaction, path in pending:
        if _inside(transaction, previous_transaction):
            _delete(path)
        else:
            keep.append((transaction, path))
    session.info[_PENDING] = keep


def _inside(transaction: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``rolled_back`` or nested inside it."""
    if rolled_back.parent is None:
        return True  # the outermost transaction: everything written in it goes
    current: Any = transaction
    while current is not None:
        if current is rolled_back:
            return True
        current = current.parent
    return False


def _delete(path: Path) -> None:
    try:
        path.unlink()
        logger.info("removed photo file %s of a rolled-back enrollment", path)
    except FileNotFoundError:
        return
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # only succeeds when the student's folder is now empty


__all__ = ["PHOTOS_DIR", "read_photo", "student_folder", "write_photo"]
