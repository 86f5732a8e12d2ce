"""Reading pairs.txt and the image tree; clear errors when LFW is absent."""

from __future__ import annotations

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
