"""face_cnn_v2's training pieces that need no data: batch order, loss, augmentation, the
weights' moving average."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.cnn.architecture import EMBEDDING_DIM, INPUT_SIZE, build_embedding_model
from models.cnn.train import (
    TrainConfig,
    WeightAverage,
    _augment,
    distillation_loss,
    pair_batches_order,
)


def test_pair_batches_put_one_persons_images_side_by_side() -> None:
    person = np.array(["a"] * 4 + ["b"] * 3 + ["c"])
    rows = np.arange(8, dtype=np.int64)
    order = pair_batches_order(person, rows, np.random.default_rng(0))
    assert sorted(order.tolist()) == rows.tolist()  # every row exactly once
    # Walk the order unit by unit: pairs of one person, singles (b's odd image out, c).
    same_pairs = sum(
        1 for i in range(len(order) - 1) if person[order[i]] == person[order[i + 1]]
    )
    assert same_pairs >= 3  # a: 2 pairs, b: 1 pair
    again = pair_batches_order(person, rows, np.random.default_rng(0))
    np.testing.assert_array_equal(order, again)  # seeded
    other = pair_batches_order(person, rows, np.random.default_rng(1))
    assert sorted(other.tolist()) == rows.tolist()


def test_distillation_loss_is_zero_only_for_the_teacher() -> None:
    rng = np.random.default_rng(0)
    teacher = rng.normal(0, 0.05, (16, 128)).astype(np.float32) + 0.1
    vector, pairs = distillation_loss(teacher, teacher, 2.0)
    assert float(vector) == pytest.approx(0.0, abs=1e-6)
    assert float(pairs) == pytest.approx(0.0, abs=1e-4)
    # A constant shift keeps every pairwise distance: only the vector loss sees it.
    vector, pairs = distillation_loss(teacher + 0.1, teacher, 2.0)
    assert float(vector) == pytest.approx(128 * 0.01, rel=1e-4)
    assert float(pairs) == pytest.approx(0.0, abs=1e-4)
    # Collapsing every face onto the mean keeps the vector loss small but not the geometry.
    collapsed = np.repeat(teacher.mean(axis=0, keepdims=True), 16, axis=0)
    _, pairs = distillation_loss(collapsed, teacher, 2.0)
    assert float(pairs) > 0.05


def test_augment_keeps_shape_range_and_changes_pixels() -> None:
    import tensorflow as tf

    config = TrainConfig(Path("."), Path("."), Path("."), Path("."))
    images = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
    out = _augment(config, tf.constant(images), tf.constant([1, 2], dtype=tf.int32)).numpy()
    assert out.shape == images.shape
    assert out.min() >= 0.0
    assert out.max() <= 255.0
    assert not np.allclose(out, images)
    same = _augment(config, tf.constant(images), tf.constant([1, 2], dtype=tf.int32)).numpy()
    np.testing.assert_allclose(out, same)  # stateless: the seed decides


def test_augment_without_changes_is_the_identity() -> None:
    import tensorflow as tf

    config = TrainConfig(
        Path("."), Path("."), Path("."), Path("."),
        shift_px=0.0, rotation=0.0, zoom=0.0, brightness=0.0, contrast=(1.0, 1.0),
    )
    images = np.random.default_rng(0).integers(0, 256, (8, 64, 64, 3), dtype=np.uint8)
    out = _augment(config, tf.constant(images), tf.constant([3, 4], dtype=tf.int32)).numpy()
    # Only the random flip is left: each image is itself or its mirror.
    for got, image in zip(out, images.astype(np.float32), strict=True):
        assert np.allclose(got, image, atol=1e-3) or np.allclose(got, image[:, ::-1], atol=1e-3)


def test_weight_average_follows_the_weights_and_swaps_back() -> None:
    model = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM)
    start = [w.numpy().copy() for w in model.weights]
    average = WeightAverage(model, 0.75)
    for weight in model.weights:
        weight.assign(weight.numpy() + 1.0)
    average.update()  # 0.75 * start + 0.25 * (start + 1) = start + 0.25
    with average.swapped_in():
        for weight, before in zip(model.weights, start, strict=True):
            np.testing.assert_allclose(weight.numpy(), before + 0.25, atol=1e-5)
    for weight, before in zip(model.weights, start, strict=True):
        np.testing.assert_allclose(weight.numpy(), before + 1.0, atol=1e-5)


@pytest.mark.parametrize("momentum", [0.0, 1.0, -0.5])
def test_weight_average_rejects_a_momentum_outside_0_1(momentum: float) -> None:
    with pytest.raises(ValueError, match="momentum"):
        WeightAverage(build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM), momentum)
