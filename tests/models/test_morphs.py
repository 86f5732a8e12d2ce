"""Teacher morphs: two training faces blended, dlib's descriptor of the blend, training on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from models.cnn.features import compute_features
from models.cnn.lfw import people_in_folds, read_pairs
from models.cnn.morphs import (
    ALPHA,
    MORPH_SETS,
    SPLITS,
    MorphSet,
    TeacherMorphs,
    blend_chips,
    compute_morphs,
    load_morphs,
    make_tasks,
    nearest_others,
    sample_near_sources,
    sample_sources,
)
from models.cnn.morphs import _one as describe_morph
from models.cnn.train import TrainConfig, train


def test_sources_are_two_different_images_of_the_given_rows() -> None:
    rows = np.array([3, 8, 11, 20], dtype=np.int64)
    pairs = sample_sources(rows, 500, np.random.default_rng(0))
    assert pairs.shape == (500, 2)
    assert set(pairs.ravel().tolist()) == set(rows.tolist())
    assert (pairs[:, 0] != pairs[:, 1]).all()
    with pytest.raises(ValueError, match="two images"):
        sample_sources(rows[:1], 3, np.random.default_rng(0))


def _clustered_faces() -> tuple[np.ndarray, np.ndarray]:
    """Six people of two images each on a line, 1.0 apart, images of one person 0.1 apart."""
    descriptors = np.zeros((12, 128), dtype=np.float32)
    descriptors[:, 0] = [p + 0.1 * i for p in range(6) for i in range(2)]
    person = np.array([f"P{p}" for p in range(6) for _ in range(2)])
    return descriptors, person


def test_nearest_others_are_other_people_nearest_first() -> None:
    descriptors, person = _clustered_faces()
    rows = np.arange(12, dtype=np.int64)
    near = nearest_others(rows, descriptors, person, k=2, chunk=5)
    # Image 0 (P0 at 0.0): P1's images at 1.0 and 1.1; never P0's own second image at 0.1.
    np.testing.assert_array_equal(near[0], [2, 3])
    # Image 5 (P2 at 2.1): P3 at 3.0 (0.9 away), then P1 at 1.1 (1.0 away).
    np.testing.assert_array_equal(near[5], [6, 3])
    assert not (person[near] == person[rows][:, None]).any()
    # Only the given rows are candidates (a split's training images).
    subset = np.array([0, 1, 8, 9, 10], dtype=np.int64)
    assert set(nearest_others(subset, descriptors, person, k=2).ravel()) <= set(subset.tolist())
    with pytest.raises(ValueError, match="too few"):
        nearest_others(rows[:2], descriptors, person, k=2)


def test_look_alike_sources_pair_neighbours_of_other_people() -> None:
    descriptors, person = _clustered_faces()
    rows = np.arange(12, dtype=np.int64)
    pairs = sample_near_sources(rows, 300, descriptors, person, np.random.default_rng(0), k=2)
    assert pairs.shape == (300, 2)
    gap = np.abs(descriptors[pairs[:, 0], 0] - descriptors[pairs[:, 1], 0])
    assert (person[pairs[:, 0]] != person[pairs[:, 1]]).all()
    assert float(gap.max()) <= 1.1 + 1e-6  # always a neighbouring person, never farther
    assert set(pairs[:, 0].tolist()) == set(rows.tolist())


def test_the_uniform_set_is_the_shipped_weights_morphs() -> None:
    uniform = MORPH_SETS["uniform"]
    assert (uniform.file_name, uniform.per_split, uniform.look_alike_share) == (
        "lfw_morphs_v2.npz", 24_000, 0.0
    )
    assert MORPH_SETS["look-alike"].file_name != uniform.file_name


def test_every_morph_set_has_its_own_cache_and_seed() -> None:
    """A new set must draw new morphs: a shared seed would repeat another set's blends."""
    sets = list(MORPH_SETS.values())
    assert len({s.file_name for s in sets}) == len(sets)
    assert len({s.seed for s in sets}) == len(sets)
    assert MORPH_SETS["uniform-3"].per_split == 48_000


def test_blend_weights_the_first_chip_by_alpha() -> None:
    first = np.full((4, 4, 3), 200, dtype=np.uint8)
    second = np.full((4, 4, 3), 100, dtype=np.uint8)
    np.testing.assert_array_equal(blend_chips(first, second, 1.0), first)
    np.testing.assert_array_equal(blend_chips(first, second, 0.0), second)
    assert int(blend_chips(first, second, 0.25)[0, 0, 0]) == 125
    assert blend_chips(first, second, 0.5).flags["C_CONTIGUOUS"]


def test_usable_morphs_have_both_images_among_the_rows_and_blend_their_crops() -> None:
    morphs = TeacherMorphs(
        sources=np.array([[0, 1], [1, 2], [2, 3]], dtype=np.int64),
        alpha=np.array([0.5, 0.25, 0.75], dtype=np.float32),
        dlib=np.zeros((3, 128), dtype=np.float32),
    )
    np.testing.assert_array_equal(morphs.usable(np.array([0, 1, 2], dtype=np.int64)), [0, 1])
    np.testing.assert_array_equal(morphs.usable(np.array([3], dtype=np.int64)), [])
    crops = np.stack([np.full((2, 2, 3), v, dtype=np.uint8) for v in (0, 40, 80, 200)])
    blended = morphs.crops(crops, np.array([0, 2], dtype=np.int64))
    assert blended.dtype == np.uint8
    assert blended[0].max() == blended[0].min() == 20  # 0.5 * 0 + 0.5 * 40
    assert blended[1].max() == blended[1].min() == 110  # 0.75 * 80 + 0.25 * 200


@pytest.mark.lfw
def test_morphs_of_lfw_images_and_a_run_that_trains_on_them(
    lfw_dir: Path,
    lfw_subset: Path,
    tmp_path: Path,
    smoke_config: Callable[..., TrainConfig],
) -> None:
    features = compute_features(lfw_subset, tmp_path / "features.npz", workers=1)
    n = len(features.person)
    # An unblended "morph" (alpha 1) is described exactly as the image itself: dlib's chip of
    # the cached landmarks is the one dlib cuts when it embeds the whole image.
    task = make_tasks(lfw_subset, features, np.array([[0, 1]], dtype=np.int64), [1.0])[0]
    np.testing.assert_allclose(describe_morph(task), features.dlib[0], atol=1e-5)

    recipe = MorphSet("morphs.npz", per_split=6, look_alike_share=0.5, seed=0)
    morphs = compute_morphs(
        lfw_subset, features, lfw_dir / "pairs.txt", tmp_path / "morphs.npz", 1, recipe
    )
    assert morphs.sources.shape == (6 * len(SPLITS), 2)
    assert (features.person[morphs.sources[:, 0]] != features.person[morphs.sources[:, 1]]).any()
    assert ((morphs.alpha >= ALPHA[0]) & (morphs.alpha <= ALPHA[1])).all()
    # Each split's morphs blend only people outside that split's held-out folds.
    pairs = read_pairs(lfw_dir / "pairs.txt")
    for i, held_out in enumerate(SPLITS):
        excluded = people_in_folds(pairs, {f - 1 for f in held_out})
        mine = morphs.sources[6 * i : 6 * (i + 1)].ravel()
        assert not {str(features.person[r]) for r in mine} & excluded
    # dlib describes a blend of two faces as nobody in the data set: away from both.
    away = np.linalg.norm(morphs.dlib[:, None] - features.dlib[morphs.sources], axis=2)
    assert float(away.min()) > 0.05
    again = load_morphs(tmp_path / "morphs.npz", n)
    np.testing.assert_array_equal(again.dlib, morphs.dlib)
    with pytest.raises(ValueError, match="delete it"):
        load_morphs(tmp_path / "morphs.npz", n + 1)

    config = smoke_config(
        tmp_path,
        morphs_path=tmp_path / "morphs.npz",
        morph_batch=4,
    )
    result = train(config)
    assert result.model_path.is_file()
    assert "morphs_path=" in (config.output_dir / "summary.txt").read_text()
    with pytest.raises(ValueError, match="delete it"):
        train(replace(config, morphs_path=tmp_path / "features.npz"))
