"""Real faces for the detection, enrollment and identification tests, from LFW.

LFW is found through ``ATTENDANCE_LFW_DIR`` (a directory holding ``lfw-deepfunneled/``
unpacked) or else ``<repo>/../shared/datasets/lfw/lfw-deepfunneled.tgz``, from which only the
images of :data:`PEOPLE` are unpacked, once, into pytest's cache directory. Tests are skipped
with the reason only when neither exists. Nothing of LFW is ever written into the repository.

The dlib embedder used by the tests caches its embeddings for the whole test session (keyed by
the pixels and the box), so every LFW face is embedded at most once however many tests and
database back-ends use it.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from models import FaceInput
from models.dlib_resnet import DlibResNetEmbedder

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO.parent / "shared" / "datasets" / "lfw" / "lfw-deepfunneled.tgz"
#: Enrolled in the identification tests (each has many LFW images).
ENROLLED = ("George_W_Bush", "Colin_Powell", "Tony_Blair", "Donald_Rumsfeld",
            "Gerhard_Schroeder")
#: Never enrolled: their photos must come out unknown.
STRANGERS = ("Ariel_Sharon", "Hugo_Chavez", "Jean_Chretien", "John_Ashcroft",
             "Serena_Williams")
PEOPLE = ENROLLED + STRANGERS
#: Image numbers unpacked per person (1-based, as in LFW file names).
IMAGES_PER_PERSON = 8


def lfw_root(cache: pytest.Cache) -> Path:
    """A directory holding ``<Person>/<Person>_NNNN.jpg`` for :data:`PEOPLE`, or skip."""
    configured = os.environ.get("ATTENDANCE_LFW_DIR")
    if configured:
        unpacked = Path(configured) / "lfw-deepfunneled"
        if not unpacked.is_dir():
            pytest.skip(f"ATTENDANCE_LFW_DIR={configured} holds no lfw-deepfunneled/ folder")
        return unpacked
    target = cache.mkdir("lfw-faces")
    if all((target / p / f"{p}_{IMAGES_PER_PERSON:04d}.jpg").is_file() for p in PEOPLE):
        return target
    if not ARCHIVE.is_file():
        pytest.skip(f"LFW not found: set ATTENDANCE_LFW_DIR or provide {ARCHIVE}")
    wanted = {f"lfw-deepfunneled/{p}/{p}_{n:04d}.jpg"
              for p in PEOPLE for n in range(1, IMAGES_PER_PERSON + 1)}
    with tarfile.open(ARCHIVE, "r:gz") as tar:
        for member in tar:
            if member.name in wanted and member.isfile():
                source = tar.extractfile(member)
                assert source is not None
                out = target / Path(member.name).relative_to("lfw-deepfunneled")
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(source.read())
    return target


class LfwFaces:
    """Access to the LFW images of :data:`PEOPLE` as bytes or RGB arrays."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, person: str, number: int) -> Path:
        return self.root / person / f"{person}_{number:04d}.jpg"

    def jpeg(self, person: str, number: int) -> bytes:
        return self.path(person, number).read_bytes()

    def rgb(self, person: str, number: int) -> NDArray[np.uint8]:
        with Image.open(self.path(person, number)) as img:
            return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


class CachingEmbedder:
    """Wraps an embedder; each distinct (pixels, box) is embedded once per test session."""

    _cache: dict[tuple[str, tuple[int, int, int, int]], NDArray[np.float32]] = {}

    def __init__(self, inner: DlibResNetEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self.dimension = inner.dimension
        self.calls = 0

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        self.calls += 1
        out = np.zeros((len(faces), self.dimension), dtype=np.float32)
        for i, face in enumerate(faces):
            top, right, bottom, left = (int(v) for v in face.box)
            key = (hashlib.sha1(face.image.tobytes()).hexdigest(),  # noqa: S324 - cache key
                   (top, right, bottom, left))
            if key not in self._cache:
                self._cache[key] = self.inner.embed([face])[0]
            out[i] = self._cache[key]
        return out


def encode(pixels: NDArray[np.uint8], fmt: str = "JPEG", **params: object) -> bytes:
    """``pixels`` (RGB or grey uint8/uint16) encoded as ``fmt`` by Pillow."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **params)
    return buffer.getvalue()
