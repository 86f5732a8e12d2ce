"""The shipped in-house CNN behind the :class:`~models.protocol.Embedder` protocol.

Weights are loaded lazily on the first :meth:`KerasCnnEmbedder.embed` call into a freshly
built :func:`~models.cnn.architecture.build_embedding_model`, so a file that does not fit the
architecture is rejected with :class:`~models.errors.ModelLoadError` instead of silently
producing other embeddings. The model then runs on LiteRT (:mod:`models.cnn.runtime`): a plain
Keras call costs 30-150 ms of overhead per call on a small CPU, a ``tf.function`` still
several, LiteRT next to none.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..alignment import align_face
from ..errors import ModelLoadError
from ..protocol import FaceInput
from .architecture import EMBEDDING_DIM, INPUT_SIZE, build_embedding_model
from .runtime import LiteRtModel, convert_to_litert

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
#: Faces per call of the network, each in all its views (four by default). One face's four
#: views fit a core's cache; on this project's 2-core CPU (models/cnn/runtime.py) a call of
#: one face cost 3.3 ms, a call of two faces 11 ms, and a loop of one-face calls 2.9 ms a
#: face over 64 faces, against 3.5 ms a face in one call of all 64.
CHUNK_FACES = 1

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


@cache
def zoom_matrix(side: int, zoom: float) -> NDArray[np.float32]:
    """(side, side) bilinear weights that cut the central ``1/zoom`` of a line of ``side``
    pixels and enlarge it back to ``side``: output pixel ``i`` samples the input at
    ``m (side - 1) + i (1 - 2m)`` with ``m = (1 - 1/zoom) / 2`` (TensorFlow's
    ``crop_and_resize`` of the box ``[m, m, 1 - m, 1 - m]``, which the views were measured with)."""
    margin = (1.0 - 1.0 / zoom) / 2.0
    at = margin * (side - 1) + np.arange(side) * (1.0 - 2.0 * margin)
    low = np.floor(at).astype(np.int64)
    high = np.minimum(low + 1, side - 1)
    weight = (at - low).astype(np.float32)
    matrix = np.zeros((side, side), dtype=np.float32)
    rows = np.arange(side)
    np.add.at(matrix, (rows, low), 1.0 - weight)
    np.add.at(matrix, (rows, high), weight)
    return matrix


def zoomed(crops: NDArray[np.uint8], zoom: float) -> NDArray[np.uint8]:
    """The central ``1/zoom`` of each (N, S, S, 3) crop, enlarged back to S x S (bilinear,
    rounded to uint8 like an aligned crop)."""
    matrix = zoom_matrix(crops.shape[1], zoom)
    out: NDArray[np.float32] = np.einsum(
        "ij,njkc,lk->nilc", matrix, crops.astype(np.float32), matrix, optimize=True
    )
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def embedding_views(crops: NDArray[np.uint8], *, flip_average: bool, zoom: float | None
                    ) -> list[NDArray[np.uint8]]:
    """Each (N, S, S, 3) batch of crops in every view the embedder averages over: the crops,
    zoomed in by ``zoom`` (if given), and all of those mirrored (if ``flip_average``)."""
    views = [crops] if zoom is None else [crops, zoomed(crops, zoom)]
    return views + [v[:, :, ::-1] for v in views] if flip_average else views


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
                model = load_embedding_model(self.weights)
                try:
                    network = LiteRtModel(convert_to_litert(model))
                except Exception as exc:  # the converter and the interpreter raise many kinds
                    raise ModelLoadError(
                        f"the in-house CNN {self.weights} could not be prepared for LiteRT "
                        f"({exc.__class__.__name__}: {exc}). Reinstall the project "
                        "(scripts/setup.sh installs ai-edge-litert and TensorFlow)."
                    ) from exc
                flip, zoom = self.flip_average, self.zoom

                def forward(crops: NDArray[np.uint8]) -> NDArray[np.float32]:
                    views = embedding_views(crops, flip_average=flip, zoom=zoom)
                    # All views in one batch of len(views) * N, then each face's mean.
                    out = network(np.concatenate(views).astype(np.float32))
                    per_view = out.reshape(len(views), len(crops), EMBEDDING_DIM)
                    return np.asarray(per_view.mean(axis=0), dtype=np.float32)

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
                    forward(np.ascontiguousarray(crops[i : i + CHUNK_FACES], dtype=np.uint8))
                    for i in range(0, len(crops), CHUNK_FACES)
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
