"""The start-up check of the template keys: never a new key while stored data needs the old.

``TemplateCipher.from_settings`` creates the current key file when it is absent, which is
right on a fresh install and a disaster after the file was lost: every later template would
be sealed under a new key with the same id, and every stored one would be unreadable. So each
process that needs the key (``attendance serve``, ``attendance worker``, ``enroll``,
``identify``, ``keys rotate``, ``camera add``) calls :func:`checked_cipher` first. It lists the
key ids that encrypted data still uses (embeddings, kept photos, camera sources, thumbnail
files) and refuses to start (:class:`MissingTemplateKey`) while any of their key files is
missing, unreadable or damaged, naming the file to restore and what depends on it. A key id
nothing uses yet, such as a fresh install's, or the new id of a rotation, may still be
created.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..crypto import FILE_MAGIC, TemplateCipher, key_directory, read_key_file
from ..db import Camera, FaceEmbedding, FacePhoto
from ..errors import ConfigError, MissingTemplateKey
from ..thumbnail_files import FOLDER as THUMBNAILS


def encrypted_data_by_key(session: Session, instance_path: Path) -> dict[str, Counter[str]]:
    """For each key id that encrypted something still stored: how many items of each kind
    (``embeddings``, ``photos``, ``camera sources``, ``thumbnails``) it encrypted."""
    usage: dict[str, Counter[str]] = {}
    queries = {
        "embeddings": select(FaceEmbedding.key_id, func.count())
        .where(FaceEmbedding.key_id.is_not(None)).group_by(FaceEmbedding.key_id),
        "photos": select(FacePhoto.key_id, func.count())
        .where(FacePhoto.key_id.is_not(None), FacePhoto.file_path.is_not(None))
        .group_by(FacePhoto.key_id),
        "camera sources": select(Camera.source_key_id, func.count())
        .where(Camera.source_key_id.is_not(None)).group_by(Camera.source_key_id),
    }
    for kind, query in queries.items():
        for key_id, count in session.execute(query):
            usage.setdefault(key_id, Counter())[kind] += int(count)
    for key_id in _thumbnail_key_ids(instance_path):
        usage.setdefault(key_id, Counter())["thumbnails"] += 1
    return usage


def check_template_keys(session: Session, settings: Settings) -> None:
    """Raise :class:`MissingTemplateKey` when a key file that stored data needs is missing,
    unreadable or damaged (the current key given by ``settings.template_key`` needs none)."""
    key_dir = key_directory(settings)
    problems = []
    for key_id, kinds in sorted(encrypted_data_by_key(session, settings.instance_path).items()):
        if key_id == settings.template_key_id and settings.template_key:
            continue
        try:
            read_key_file(key_dir, key_id)
        except ConfigError as exc:
            uses = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
            problems.append(f"{exc} (it encrypts {uses}); restore {key_dir / f'{key_id}.key'} "
                            f"(key id {key_id!r}) from your key backup")
    if problems:
        raise MissingTemplateKey(
            "refusing to start: " + "; ".join(problems) + ". A new key is never made in its "
            "place, as everything encrypted with the lost one would be unreadable. Without a "
            "backup, erase or re-enroll the students concerned and re-add the cameras.")


def checked_cipher(session: Session, settings: Settings) -> TemplateCipher:
    """:func:`check_template_keys`, then the cipher of ``settings`` (creating the current
    key file only when no stored data uses that key id)."""
    check_template_keys(session, settings)
    return TemplateCipher.from_settings(settings)


def _thumbnail_key_ids(instance_path: Path) -> list[str]:
    """The key id in the header of each thumbnail file (retention keeps them few)."""
    root = instance_path / THUMBNAILS
    found = []
    for path in sorted(root.glob("*/*.jpg")) if root.is_dir() else []:
        try:
            with path.open("rb") as fh:
                head = fh.read(64)
        except OSError:
            continue
        if head.startswith(FILE_MAGIC) and b"\n" in head:
            found.append(head[len(FILE_MAGIC):head.index(b"\n")].decode("ascii", "replace"))
    return found


__all__ = ["check_template_keys", "checked_cipher", "encrypted_data_by_key"]
