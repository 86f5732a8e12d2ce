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

#: The second test-time view: each face is also embedded zoomed in by this factor (the
#: central 1/1.12 of its crop enlarged back to the full side) and the views' vectors averaged.
#: Measured cross-fold on LFW (docs/model_card.md): with it raw accuracy 0.9552 -> 0.9588,
#: TAR at FAR 1% 0.868 -> 0.886 and at 0.1% 0.642 -> 0.726, for twice the CNN's compute.
TEST_TIME_ZOOM = 1.12

_Forward = Callable[[NDArray[np.uint8]], NDArray[np.float32]]


def weights_digest(path: Path) -> str:
    """First 10 hex digits of the SHA-256 of a weights file (part of the model version)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def views_suffix(*, flip_average: bool = True, zoom: float | None = TEST_TIME_ZOOM) -> str:
    """What a version adds after the weights' digest for these views: ``+noflip`` without
    the flip average, ``+zoom<factor>`` with the zoomed view (the default: ``+zoom1.12``)."""
    return ("" if flip_average else "+noflip") + ("" if zoom is None else f"+zoom{zoom:g}")


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


def _zoomed(tf: Any, crops: Any, zoom: float) -> Any:
    """The central ``1/zoom`` of each (N, S, S, 3) uint8 crop, enlarged back to S x S
    (bilinear, rounded to uint8 like an aligned crop)."""
    margin = (1.0 - 1.0 / zoom) / 2.0
    n, side = tf.shape(crops)[0], crops.shape[1]
    boxes = tf.tile(tf.constant([[margin, margin, 1.0 - margin, 1.0 - margin]]), [n, 1])
    out = tf.image.crop_and_resize(tf.cast(crops, tf.float32), boxes, tf.range(n), (side, side))
    return tf.cast(tf.clip_by_value(tf.round(out), 0.0, 255.0), tf.uint8)


class KerasCnnEmbedder:
    """128-d embeddings from the in-house CNN; faces are aligned to 64x64 from their landmarks.

    Outputs live in dlib's descriptor space (the model is distilled from it), so Euclidean
    distances are in dlib's units. ``weights`` defaults to the shipped file; the version is
    ``face_cnn_v2+<sha256 prefix of that file>+zoom1.12``. Each face is embedded in several
    views whose vectors are averaged (the defaults are how the model card's figures were
    measured): with ``flip_average`` also its mirror image (invariant to left-right flips),
    with ``zoom`` also zoomed in by that factor (:data:`TEST_TIME_ZOOM`), both together four
    views in one batch. Each view costs one more pass of the CNN.
    """

    name = "inhouse"
    dimension = EMBEDDING_DIM

    def __init__(self, weights: Path | None = None, *, flip_average: bool = True,
                 zoom: float | None = TEST_TIME_ZOOM) -> None:
        if zoom is not None and not 1.0 < zoom <= 2.0:
            raise ValueError(f"zoom must be above 1 and at most 2, or None (got {zoom})")
        self.weights = DEFAULT_WEIGHTS if weights is None else Path(weights)
        self.flip_average = flip_average
        self.zoom = zoom
        self._forward: _Forward | None = None
        self._version: str | None = None
        self._lock = threading.Lock()
        self._call_lock = threading.Lock()

    @property
    def version(self) -> str:
        """``<weights stem>+<10 hex digits of the file's SHA-256>``, then ``+noflip`` without
        the flip average and ``+zoom<factor>`` with the zoomed view; reads the file once.

        Embeddings of other views differ a little: the version keeps them apart, so a gallery
        never mixes them (``attendance embeddings backfill`` adds the current version)."""
        if self._version is None:
            if not self.weights.is_file():
                raise ModelLoadError(f"in-house CNN weights not found at {self.weights}")
            stem = self.weights.name.removesuffix(".keras")
            suffix = views_suffix(flip_average=self.flip_average, zoom=self.zoom)
            self._version = f"{stem}+{weights_digest(self.weights)}{suffix}"
        return self._version

    def _load(self) -> _Forward:
        with self._lock:
            if self._forward is None:
                import tensorflow as tf  # noqa: PLC0415 - heavy, only when embedding

                model = load_embedding_model(self.weights)
                flip, zoom = self.flip_average, self.zoom

                def embed_graph(x: Any) -> Any:
                    views = [x]
                    if zoom is not None:
                        views.append(_zoomed(tf, x, zoom))
                    if flip:
                        views += [tf.reverse(v, axis=[2]) for v in views]
                    # All views in one batch of len(views) * N, then each face's mean.
                    out = model(tf.concat(views, axis=0), training=False)
                    n = tf.shape(x)[0]
                    return tf.reduce_mean(tf.reshape(out, [len(views), n, EMBEDDING_DIM]), 0)

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
