"""A tiny end-to-end run: features -> a few training steps -> a loadable .keras model."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.cnn.embedder import KerasCnnEmbedder
from models.cnn.features import load_features
from models.cnn.train import TrainConfig, TrainResult, train

from .conftest import make_smoke_config

pytestmark = pytest.mark.lfw


@pytest.fixture(scope="module")
def tiny_run(
    lfw_dir: Path, lfw_subset: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[TrainConfig, TrainResult]:
    out = tmp_path_factory.mktemp("tiny_run")
    config = make_smoke_config(lfw_dir, lfw_subset, out, max_epochs=2)
    return config, train(config)


def test_outputs_written(tiny_run: tuple[TrainConfig, TrainResult]) -> None:
    config, result = tiny_run
    assert result.model_path.is_file()
    assert result.curves_png.is_file()
    assert result.history_csv.is_file()
    assert (config.output_dir / "summary.txt").is_file()
    assert result.epochs == 2
    assert result.train_images > 30
    assert 0.0 <= result.best_val_loss < 10.0


def test_features_cached(tiny_run: tuple[TrainConfig, TrainResult]) -> None:
    features = load_features(tiny_run[0].features_path)
    n = len(features.person)
    assert features.crops.shape == (n, 64, 64, 3)
    assert features.crops_large.shape == (n, 96, 96, 3)
    assert features.dlib.shape == (n, 128)
    assert features.landmarks.shape == (n, 5, 2)


def test_saved_model_round_trip(tiny_run: tuple[TrainConfig, TrainResult], tmp_path: Path) -> None:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras

    config, result = tiny_run
    crops = load_features(config.features_path).crops[:6]
    loaded = keras.saving.load_model(str(result.model_path))
    again_path = tmp_path / "again.keras"
    loaded.save(str(again_path))
    again = keras.saving.load_model(str(again_path))
    expected = np.asarray(loaded(crops.astype(np.float32), training=False))
    np.testing.assert_allclose(np.asarray(again(crops.astype(np.float32))), expected, atol=1e-6)
    # The embedder (architecture + load_weights + LiteRT) gives the same numbers.
    np.testing.assert_allclose(
        KerasCnnEmbedder(result.model_path, flip_average=False, zoom=None).embed_crops(crops),
        expected,
        atol=1e-5,
    )


def test_a_run_with_a_weight_average_saves_the_average(
    smoke_config: Callable[..., TrainConfig], tmp_path: Path
) -> None:
    """With momentum 0.999 and a few steps the average barely leaves the warm start, while
    the raw weights move: the saved model is the average."""
    from models.cnn.embedder import load_embedding_model

    first = train(smoke_config(tmp_path / "first"))
    config = smoke_config(tmp_path / "ema", init_weights=first.model_path, ema=0.999,
                          learning_rate=5e-2)
    result = train(config)
    crops = load_features(config.features_path).crops[:4].astype(np.float32)
    start = np.asarray(load_embedding_model(first.model_path)(crops, training=False))
    saved = np.asarray(load_embedding_model(result.model_path)(crops, training=False))
    assert np.abs(saved - start).max() < 0.05 * np.abs(start).max()
    raw = train(smoke_config(tmp_path / "raw", init_weights=first.model_path,
                             learning_rate=5e-2))
    moved = np.asarray(load_embedding_model(raw.model_path)(crops, training=False))
    assert np.abs(moved - start).max() > 4 * np.abs(saved - start).max()
