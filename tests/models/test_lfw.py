"""Reading pairs.txt and the image tree; clear errors when LFW is absent."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from models import DatasetNotFoundError
from models.cnn.lfw import ensure_unpacked, image_path, list_images, people_in_folds, read_pairs

SMALL_PAIRS = "2\t1\nAlice 1 2\nAlice 1 Bob 3\nCarol 2 4\nDave 1 Erin 1\n"


def test_read_pairs_small(tmp_path: Path) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text(SMALL_PAIRS)
    pairs = read_pairs(path)
    assert [p.fold for p in pairs] == [0, 0, 1, 1]
    assert [p.same for p in pairs] == [True, False, True, False]
    assert (pairs[1].name_b, pairs[1].number_b) == ("Bob", 3)
    assert people_in_folds(pairs, {1}) == {"Carol", "Dave", "Erin"}


def test_read_pairs_rejects_wrong_count(tmp_path: Path) -> None:
    path = tmp_path / "pairs.txt"
    path.write_text("2\t1\nAlice 1 2\n")
    with pytest.raises(ValueError, match="expected 4 pairs"):
        read_pairs(path)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"pairs file not found: .*pairs\.txt"):
        read_pairs(tmp_path / "pairs.txt")
    with pytest.raises(DatasetNotFoundError, match="images directory not found"):
        list_images(tmp_path / "lfw-deepfunneled")
    with pytest.raises(DatasetNotFoundError, match=r"lfw-deepfunneled\.tgz"):
        ensure_unpacked(tmp_path, tmp_path / "cache")


def test_image_path() -> None:
    assert image_path(Path("/x"), "Al_Gore", 3) == Path("/x/Al_Gore/Al_Gore_0003.jpg")


@pytest.mark.lfw
def test_real_pairs(lfw_dir: Path) -> None:
    pairs = read_pairs(lfw_dir / "pairs.txt")
    assert len(pairs) == 6000
    assert sum(p.same for p in pairs) == 3000
    # Folds are identity-disjoint.
    seen: dict[str, int] = {}
    for p in pairs:
        for name in (p.name_a, p.name_b):
            assert seen.setdefault(name, p.fold) == p.fold


@pytest.mark.lfw
def test_subset_images(lfw_subset: Path) -> None:
    images = list_images(lfw_subset)
    assert len(images) > 40
    assert all(path == image_path(lfw_subset, name, n) for name, n, path in images)


def _archive(dataset: Path, names: list[str]) -> None:
    """A tiny ``lfw-deepfunneled.tgz`` holding one small file per name."""
    dataset.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dataset / "lfw-deepfunneled.tgz", "w:gz") as tar:
        for name in names:
            data = name.encode()
            info = tarfile.TarInfo(f"lfw-deepfunneled/{name}/{name}_0001.jpg")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_unpacks_the_archive_into_the_cache(tmp_path: Path) -> None:
    _archive(tmp_path / "lfw", ["Alice", "Bob"])
    images = ensure_unpacked(tmp_path / "lfw", tmp_path / "cache")
    assert images == tmp_path / "cache" / "lfw-deepfunneled"
    assert sorted(p.name for p in images.iterdir()) == ["Alice", "Bob"]
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["lfw-deepfunneled"]
    assert ensure_unpacked(tmp_path / "lfw", tmp_path / "cache") == images


def test_an_interrupted_unpack_leaves_nothing_half_done(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _archive(tmp_path / "lfw", ["Alice", "Bob"])
    real = tarfile.TarFile.extractall

    def interrupted(self: tarfile.TarFile, path: str, **kwargs: object) -> None:
        self.extract(self.getmembers()[0], path, filter="data")
        raise KeyboardInterrupt

    monkeypatch.setattr(tarfile.TarFile, "extractall", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ensure_unpacked(tmp_path / "lfw", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
    monkeypatch.setattr(tarfile.TarFile, "extractall", real)
    images = ensure_unpacked(tmp_path / "lfw", tmp_path / "cache")
    assert sorted(p.name for p in images.iterdir()) == ["Alice", "Bob"]


def test_an_archive_without_the_image_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lfw").mkdir()
    with tarfile.open(tmp_path / "lfw" / "lfw-deepfunneled.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("something-else/readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(DatasetNotFoundError, match="holds no lfw-deepfunneled"):
        ensure_unpacked(tmp_path / "lfw", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []
