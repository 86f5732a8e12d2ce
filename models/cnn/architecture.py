"""The in-house face-embedding CNN: a compact plain ResNet for 64x64 aligned RGB crops.

A 16-channel stem, then four stride-2 stages (32 -> 16 -> 8 -> 4 pixels; 32, 48, 96, 160
channels), the middle two followed by a residual 3x3 block; the 4x4x160 map is flattened
(keeping where on the face a feature is, which global pooling would lose) into a 128-d
embedding that is L2-normalised inside the model. About 0.74 M parameters (2.8 MB float32)
and 36 M multiply-adds per face: sized for CPU training in under half an hour and for
millisecond inference. Pixel scaling happens inside the model, so callers feed raw 0..255
RGB values. Only built-in Keras layers are used, so the .keras file needs no custom objects.
"""

from __future__ import annotations

import os
from typing import Any

#: Side of the aligned input crop in pixels (see :func:`models.alignment.align_face`).
INPUT_SIZE = 64
#: Length of the embedding vector.
EMBEDDING_DIM = 128
#: Channels of the four stages.
STAGE_WIDTHS = (32, 48, 96, 160)
#: Stages (0-based) followed by a residual block; the first and last are cheap stride-2 convs.
RESIDUAL_STAGES = (1, 2)


def _keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras  # noqa: PLC0415 - keras is imported lazily, after KERAS_BACKEND is set

    return keras


def _conv_bn(keras: Any, x: Any, filters: int, stride: int, name: str, relu: bool = True) -> Any:
    x = keras.layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _residual(keras: Any, x: Any, filters: int, name: str) -> Any:
    y = _conv_bn(keras, x, filters, 1, f"{name}a")
    y = _conv_bn(keras, y, filters, 1, f"{name}b", relu=False)
    return keras.layers.ReLU(name=f"{name}_out")(keras.layers.Add(name=f"{name}_add")([x, y]))


def build_embedding_model(
    input_shape: tuple[int, int, int] = (INPUT_SIZE, INPUT_SIZE, 3),
    embedding_dim: int = EMBEDDING_DIM,
    dropout: float = 0.2,
) -> Any:
    """Build the (untrained) embedding model.

    ``input_shape`` is (height, width, 3) of raw RGB crops with values 0..255; the output is a
    float32 (batch, ``embedding_dim``) array of unit L2 norm, so Euclidean distance lies in
    [0, 2]. ``dropout`` is applied before the embedding layer during training only.
    """
    keras = _keras()
    inputs = keras.Input(shape=input_shape, name="face")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inputs)
    x = _conv_bn(keras, x, 16, 1, "stem")
    for i, width in enumerate(STAGE_WIDTHS):
        x = _conv_bn(keras, x, width, 2, f"s{i}_down")
        if i in RESIDUAL_STAGES:
            x = _residual(keras, x, width, f"s{i}_res")
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(embedding_dim, use_bias=False, name="embedding")(x)
    x = keras.layers.BatchNormalization(name="embedding_bn")(x)
    outputs = keras.layers.UnitNormalization(name="l2_normalize")(x)
    return keras.Model(inputs, outputs, name="face_cnn")
