"""Fixtures for the model tests: where LFW is, and a small subset of its images.

LFW's location comes from ``ATTENDANCE_LFW_DIR`` or defaults to ``<repo>/../shared/datasets/lfw``
(a directory holding ``pairs.txt`` and ``lfw-deepfunneled/`` or ``lfw-deepfunneled.tgz``).
Tests that need it are skipped, with the reason, only when it is genuinely absent.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from models.cnn.train import TrainConfig

REPO = Path(__file__).resolve().parents[2]
#: People (with several images each) used by the small end-to-end tests.
SUBSET_PEOPLE = (
    "Aaron_Peirsol",
    "Abdullah_Gul",
    "Adam_Sandler",
    "Adrien_Brody",
    "Ahmed_Chalabi",
    "Al_Gore",
    "Alan_Greenspan",
    "Albert_Costa",
)


@pytest.fixture(scope="session")
def lfw_dir() -> Path:
    """The LFW data set directory; skips the test when it is absent."""
    path = Path(os.environ.get("ATTENDANCE_LFW_DIR", REPO.parent / "shared" / "datasets" / "lfw"))
    if not (path / "pairs.txt").is_file():
        pytest.skip(f"LFW not found: {path / 'pairs.txt'} is missing (set ATTENDANCE_LFW_DIR)")
    if not (path / "lfw-deepfunneled").is_dir() and not (path / "lfw-deepfunneled.tgz").is_file():
        pytest.skip(f"LFW images not found: neither {path}/lfw-deepfunneled/ nor the .tgz")
    return path


@pytest.fixture(scope="session")
def lfw_subset(lfw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of :data:`SUBSET_PEOPLE`'s images (``<Person>/<Person>_NNNN.jpg``), copied
    from the unpacked images or streamed out of the archive (never the whole data set)."""
    out = tmp_path_factory.mktemp("lfw_subset")
    unpacked = lfw_dir / "lfw-deepfunneled"
    if unpacked.is_dir():
        for person in SUBSET_PEOPLE:
            shutil.copytree(unpacked / person, out / person)
        return out
    wanted = {f"lfw-deepfunneled/{p}/" for p in SUBSET_PEOPLE}
    with tarfile.open(lfw_dir / "lfw-deepfunneled.tgz", "r:gz") as tar:
        for member in tar:
            if member.isfile() and any(member.name.startswith(w) for w in wanted):
                target = out / Path(member.name).relative_to("lfw-deepfunneled")
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    if not any(out.iterdir()):
        pytest.skip(f"none of {SUBSET_PEOPLE} found in {lfw_dir / 'lfw-deepfunneled.tgz'}")
    return out


def make_smoke_config(lfw_dir: Path, images: Path, out: Path, **changes: Any) -> TrainConfig:
    """A training run on ``images`` small enough for a test (batches of 8, one epoch, 20%
    validation, one process), its features cached and its output written under ``out``, with
    ``changes`` to any other :class:`TrainConfig` field."""
    base = TrainConfig(
        images_dir=images,
        pairs_path=lfw_dir / "pairs.txt",
        features_path=out / "features.npz",
        output_dir=out / "run",
        batch_size=8,
        max_epochs=1,
        max_minutes=2.0,
        val_fraction=0.2,
        workers=1,
    )
    return replace(base, **changes)


@pytest.fixture
def smoke_config(lfw_dir: Path, lfw_subset: Path) -> Callable[..., TrainConfig]:
    """``make(out, **changes)``: :func:`make_smoke_config` on :func:`lfw_subset`."""

    def make(out: Path, **changes: Any) -> TrainConfig:
        return make_smoke_config(lfw_dir, lfw_subset, out, **changes)

    return make
