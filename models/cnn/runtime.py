"""The in-house CNN's inference runtime: the Keras model converted to LiteRT (TensorFlow Lite).

A Keras model called through a ``tf.function`` pays several milliseconds of TensorFlow's own
overhead per call on a small CPU: one face in its four views took 8.1-8.7 ms end to end there,
against 2.9 ms a face in batches of 8 or 64 faces. LiteRT runs the same graph on its XNNPACK
kernels without that overhead: 3.4-3.5 ms for the one face, and 2.8-3.0 ms a face for 8 or 64
faces embedded one after another (measured on this project's 2-core CPU, each timed in turns
with dlib's 75 ms; docs/model_card.md). The converted model's vectors differ from the Keras
model's by float rounding only (at most 1.4e-4 in dlib's units over 256 crops, where two people
lie about 0.55 apart), so the model version, and the galleries' vectors, are unchanged.

The weights stay a ``.keras`` file (what training writes and the version's digest names); the
conversion runs once per loaded embedder, in about 1.5 s.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: LiteRT's CPU threads per embedder: more do not pay for a batch of a few small faces.
MAX_THREADS = 4


def convert_to_litert(model: Any) -> bytes:
    """The flatbuffer of a built Keras model, in float32 (no quantisation)."""
    import tensorflow as tf  # noqa: PLC0415 - heavy, only when loading a model

    # The converter exports a SavedModel to a temporary folder first, prints its signature on
    # stdout and logs where it wrote it: neither is news to whoever loads the embedder.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    finally:
        tf_logger.setLevel(level)


class LiteRtModel:
    """A converted model's forward pass on float32 batches of any size.

    Not safe to call from two threads at once (the interpreter owns its tensors): the
    embedder serialises its calls.
    """

    def __init__(self, flatbuffer: bytes, num_threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415 - heavy

        threads = num_threads or min(MAX_THREADS, os.cpu_count() or 1)
        self._interpreter = Interpreter(model_content=flatbuffer, num_threads=threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        if batch.shape != self._shape:  # re-plan the tensors for this batch size
            self._interpreter.resize_tensor_input(self._input, list(batch.shape))
            self._interpreter.allocate_tensors()
            self._shape = batch.shape
        self._interpreter.set_tensor(self._input, np.ascontiguousarray(batch, np.float32))
        self._interpreter.invoke()
        # A copy: the interpreter reuses its output buffer on the next call.
        return np.array(self._interpreter.get_tensor(self._output), dtype=np.float32)


__all__ = ["MAX_THREADS", "LiteRtModel", "convert_to_litert"]
