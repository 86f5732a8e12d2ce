"""Teacher views: mirrored and shrunk images, dlib's descriptor of each, training on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from models.cnn.features import compute_features
from models.cnn.train import TrainConfig, train
from models.cnn.views import VIEWS, compute_views, load_views, mirror_box, shrink, view_image


def test_mirror_box_is_the_same_face_flipped() -> None:
    image = np.zeros((50, 100, 3), dtype=np.uint8)
    image[10:20, 5:30] = 255  # the "face": columns 5..29
    top, right, bottom, left = mirror_box((10, 30, 20, 5), 100)
    mirrored = image[:, ::-1]
    assert (top, bottom) == (10, 20)
    assert mirrored[10:20, left:right].min() == 255
    assert mirrored[:, :left].max() == 0
    assert mirrored[:, right:].max() == 0


def test_shrink_scales_the_face_to_the_asked_width() -> None:
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (250, 250, 3), dtype=np.uint8)
    small, box = shrink(image, (70, 180, 180, 70), 44.0, 70)
    assert small.dtype == np.uint8
    assert small.shape == (100, 100, 3)
    assert box == (28, 72, 72, 28)
    assert box[1] - box[3] == 44


def test_shrink_never_enlarges() -> None:
    image = np.full((80, 80, 3), 128, dtype=np.uint8)
    small, box = shrink(image, (10, 40, 40, 10), 60.0, 90)
    assert small.shape == image.shape
    assert box == (10, 40, 40, 10)


def test_view_image_is_seeded() -> None:
    image = np.random.default_rng(1).integers(0, 256, (250, 250, 3), dtype=np.uint8)
    box = (70, 180, 180, 70)
    one = view_image(image, box, "small-mirror", np.random.default_rng(5))
    two = view_image(image, box, "small-mirror", np.random.default_rng(5))
    assert one[1] == two[1]
    np.testing.assert_array_equal(one[0], two[0])
    mirrored, mirrored_box = view_image(image, box, "mirror", np.random.default_rng(5))
    np.testing.assert_array_equal(mirrored, image[:, ::-1])
    assert mirrored_box == (70, 180, 180, 70)


@pytest.mark.lfw
def test_views_of_lfw_images_and_a_run_that_trains_on_them(
    lfw_subset: Path,
    tmp_path: Path,
    smoke_config: Callable[..., TrainConfig],
) -> None:
    features = compute_features(lfw_subset, tmp_path / "features.npz", workers=1)
    views = compute_views(lfw_subset, features, tmp_path / "views.npz", workers=1)
    n = len(features.person)
    assert views.crops.shape == (n, len(VIEWS), 64, 64, 3)
    assert views.dlib.shape == (n, len(VIEWS), 128)
    # dlib describes a view of a face close to the face itself, but not identically.
    gaps = np.linalg.norm(views.dlib - features.dlib[:, None], axis=2)
    assert 0.0 < float(np.median(gaps)) < 0.45
    # The mirror view's crop is (nearly) the original crop flipped.
    flipped = features.crops[:, :, ::-1].astype(np.float64)
    assert np.abs(views.crops[:, 0] - flipped).mean() < np.abs(features.crops - flipped).mean()
    # Cached: loading gives the same arrays; another image count is refused.
    again = load_views(tmp_path / "views.npz", n)
    np.testing.assert_array_equal(again.dlib, views.dlib)
    with pytest.raises(ValueError, match="delete it"):
        load_views(tmp_path / "views.npz", n + 1)

    config = smoke_config(
        tmp_path,
        views_path=tmp_path / "views.npz",
    )
    result = train(config)
    assert result.model_path.is_file()
    assert result.epochs == 1
    assert "views_path=" in (config.output_dir / "summary.txt").read_text()
    with pytest.raises(ValueError, match="delete it"):
        train(replace(config, views_path=tmp_path / "features.npz"))
