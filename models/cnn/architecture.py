"""The in-house face-embedding CNN (``face_cnn_v2``): a compact ResNet for aligned RGB crops.

A 3x3 stem, then four stride-2 stages (``STAGE_WIDTHS`` channels), each after the first
followed by a residual 3x3 block; the last feature map is flattened (keeping where on the face
a feature is, which global pooling would lose) into a 128-d embedding. The output is not
normalised: the network is distilled to reproduce dlib's own 128-d descriptor of the same face,
so its Euclidean distances are in dlib's units (about 0.6 separates two people). Pixel scaling
happens inside the model, so callers feed raw 0..255 RGB values. Only built-in Keras layers
are used, so the .keras file needs no custom objects.
"""

from __future__ import annotations

import os
from typing import Any

#: Side of the aligned input crop in pixels (see :func:`models.alignment.align_face`).
INPUT_SIZE = 64
#: Length of the embedding vector.
EMBEDDING_DIM = 128
#: Stride of the stem convolution (2 halves the crop before the first stage).
STEM_STRIDE = 1
#: Channels of the stem and of the four stages.
STEM_WIDTH = 24
STAGE_WIDTHS = (32, 64, 128, 192)
#: Stages (0-based) followed by a residual block.
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
    dropout: float = 0.1,
    *,
    stem_stride: int = STEM_STRIDE,
    stem_width: int = STEM_WIDTH,
    stage_widths: tuple[int, ...] = STAGE_WIDTHS,
    residual_stages: tuple[int, ...] = RESIDUAL_STAGES,
) -> Any:
    """Build the (untrained) embedding model.

    ``input_shape`` is (height, width, 3) of raw RGB crops with values 0..255; the output is a
    float32 (batch, ``embedding_dim``) array in dlib's descriptor space. ``dropout`` is applied
    before the embedding layer during training only. The keyword arguments exist for
    architecture experiments; the shipped weights fit the defaults.
    """
    keras = _keras()
    inputs = keras.Input(shape=input_shape, name="face")
    x = keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="rescale")(inputs)
    x = _conv_bn(keras, x, stem_width, stem_stride, "stem")
    for i, width in enumerate(stage_widths):
        x = _conv_bn(keras, x, width, 2, f"s{i}_down")
        if i in residual_stages:
            x = _residual(keras, x, width, f"s{i}_res")
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    # dlib's descriptor components have a spread of about 0.05: a small initial kernel keeps
    # the first steps' distances (and gradients) in that range instead of a hundred times it.
    outputs = keras.layers.Dense(
        embedding_dim,
        kernel_initializer=keras.initializers.VarianceScaling(1e-3, "fan_in", seed=0),
        name="embedding",
    )(x)
    return keras.Model(inputs, outputs, name="face_cnn")
