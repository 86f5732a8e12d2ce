"""The shipped in-house CNN behind the :class:`~models.protocol.Embedder` protocol.

Weights are loaded lazily on the first :meth:`KerasCnnEmbedder.embed` call into a freshly
built :func:`~models.cnn.architecture.build_embedding_model`, so a file that does not fit the
architecture is rejected with :class:`~models.errors.ModelLoadError` instead of silently
producing other embeddings. The model is called through a ``tf.function``: plain Keras calls
cost 30-150 ms of overhead per call on a small CPU.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..alignment import align_face
from ..errors import ModelLoadError
from ..protocol import FaceInput
from .architecture import EMBEDDING_DIM, INPUT_SIZE, build_embedding_model

logger = logging.getLogger(__name__)

#: The weights shipped inside the package.
WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "face_cnn_v2.keras"
WEIGHTS_STEM = "face_cnn_v2"
#: The cross-fold models the honest figures come from: A never saw the people of LFW View 2
#: folds 1-5, B those of folds 6-10.
CROSS_FOLD_WEIGHTS = {
    "A": WEIGHTS_DIR / "crossfold" / "face_cnn_v2_A.keras",
    "B": WEIGHTS_DIR / "crossfold" / "face_cnn_v2_B.keras",
}

_Forward = Callable[[NDArray[np.uint8]], NDArray[np.float32]]


def weights_digest(path: Path) -> str:
    """First 10 hex digits of the SHA-256 of a weights file (part of the model version)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def load_embedding_model(path: Path) -> Any:
    """Build the architecture and load ``path`` (.keras) into it; ModelLoadError if impossible."""
    if not path.is_file():
        raise ModelLoadError(
            f"in-house CNN weights not found at {path}. Reinstall the package (the file ships "
            "in models/cnn/weights/) or train one with `attendance model train` and pass its path."
        )
    model = build_embedding_model((INPUT_SIZE, INPUT_SIZE, 3), EMBEDDING_DIM)
    try:
        model.load_weights(str(path))
    except Exception as exc:  # keras raises ValueError, KeyError, OSError, zipfile errors, ...
        raise ModelLoadError(
            f"{path} does not fit the in-house CNN architecture ({exc.__class__.__name__}: "
            f"{exc}). Use weights trained by this version of models/cnn, or retrain with "
            "`attendance model train`."
        ) from exc
    return model


class KerasCnnEmbedder:
    """128-d embeddings from the in-house CNN; faces are aligned to 64x64 from their landmarks.

    Outputs live in dlib's descriptor space (the model is distilled from it), so Euclidean
    distances are in dlib's units. ``weights`` defaults to the shipped file; the version is
    ``face_cnn_v2+<sha256 prefix of that file>``. With
    ``flip_average`` (the default, and how the model card's figures were measured) each face
    is embedded together with its mirror image and the two averaged: twice the compute,
    slightly more accurate and invariant to left-right flips.
    """

    name = "inhouse"
    dimension = EMBEDDING_DIM

    def __init__(self, weights: Path | None = None, *, flip_average: bool = True) -> None:
        self.weights = DEFAULT_WEIGHTS if weights is None else Path(weights)
        self.flip_average = flip_average
        self._forward: _Forward | None = None
        self._version: str | None = None
        self._lock = threading.Lock()
        self._call_lock = threading.Lock()

    @property
    def version(self) -> str:
        """``<weights stem>+<10 hex digits of the file's SHA-256>`` (plus ``+noflip`` without
        the flip average); reads the file once."""
        if self._version is None:
            if not self.weights.is_file():
                raise ModelLoadError(f"in-house CNN weights not found at {self.weights}")
            stem = self.weights.name.removesuffix(".keras")
            # Embeddings without the flip average differ a little: never mix the two.
            suffix = "" if self.flip_average else "+noflip"
            self._version = f"{stem}+{weights_digest(self.weights)}{suffix}"
        return self._version

    def _load(self) -> _Forward:
        with self._lock:
            if self._forward is None:
                import tensorflow as tf  # noqa: PLC0415 - heavy, only when embedding

                model = load_embedding_model(self.weights)
                flip = self.flip_average

                def embed_graph(x: Any) -> Any:
                    if not flip:
                        return model(x, training=False)
                    # Average with the mirror image (one batch of 2N).
                    both = model(tf.concat([x, tf.reverse(x, axis=[2])], axis=0), training=False)
                    n = tf.shape(x)[0]
                    return (both[:n] + both[n:]) / 2.0

                call = tf.function(
                    embed_graph,
                    input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.uint8)],
                    reduce_retracing=True,
                )

                def forward(crops: NDArray[np.uint8]) -> NDArray[np.float32]:
                    return np.asarray(call(crops).numpy(), dtype=np.float32)

                self._forward = forward
                logger.info("loaded in-house CNN %s from %s", self.version, self.weights)
            return self._forward

    def embed_crops(self, crops: NDArray[np.uint8]) -> NDArray[np.float32]:
        """Embed already aligned (N, 64, 64, 3) uint8 RGB crops; returns (N, 128) float32."""
        if len(crops) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        forward = self._load()
        with self._call_lock:  # like dlib's, the model is never called by two threads at once
            return np.concatenate(
                [
                    forward(np.ascontiguousarray(crops[i : i + 256], dtype=np.uint8))
                    for i in range(0, len(crops), 256)
                ]
            )

    def embed(self, faces: Sequence[FaceInput]) -> NDArray[np.float32]:
        """Align each face (landmarks if present, else its box) and embed; (N, 128) float32."""
        crops = (
            np.stack([align_face(f.image, f.landmarks, INPUT_SIZE, f.box) for f in faces])
            if faces
            else np.zeros((0, INPUT_SIZE, INPUT_SIZE, 3), dtype=np.uint8)
        )
        return self.embed_crops(crops)
